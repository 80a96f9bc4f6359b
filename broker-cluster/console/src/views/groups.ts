import { api } from "../api";
import { el, replace, table } from "../dom";
import { errorBox, every, link, REFRESH_MS, type View } from "../view";

/** Every consumer group with its state and member count. */
export const groupsView: View = (root) => {
  const errors = errorBox("groups-error");
  const list = el("div");
  replace(root, el("h2", {}, "Consumer groups"), errors, list);
  return every(REFRESH_MS * 2, async () => {
    try {
      const groups = await api.groups();
      errors.clear();
      replace(list, table("groups", ["group", "state", "protocol type", "assignor", "members"], groups,
        (g) => [link(`#/groups/${encodeURIComponent(g.group_id)}`, g.group_id), g.state, g.protocol_type || "-",
          g.protocol ?? "-", g.members], "No groups yet."));
    } catch (e) {
      errors.show(e);
    }
  });
};
