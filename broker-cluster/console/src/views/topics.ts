import { api } from "../api";
import { el, replace, table } from "../dom";
import { errorBox, every, link, parseConfigs, REFRESH_MS, type View } from "../view";

/** Every topic, and the form that creates one (its errors are the broker's, e.g. INVALID_TOPIC_EXCEPTION). */
export const topicsView: View = (root) => {
  const listErrors = errorBox("topics-error");
  const createErrors = errorBox("create-topic-error");
  const list = el("div");
  const name = el("input", { name: "name", placeholder: "orders", required: true, "data-testid": "new-topic-name" });
  const partitions = el("input", {
    name: "partitions", type: "number", min: 1, placeholder: "broker default", "data-testid": "new-topic-partitions",
  });
  const configs = el("textarea", { name: "configs", rows: 3, placeholder: "retention.ms=86400000" });
  const created = el("p", { class: "ok", "data-testid": "create-topic-result" });
  const form = el("form", { class: "panel" },
    el("h3", {}, "Create a topic"),
    el("label", {}, "Name ", name),
    el("label", {}, "Partitions ", partitions),
    el("label", {}, "Configs (name=value per line) ", configs),
    el("button", { type: "submit", "data-testid": "create-topic" }, "Create"),
    createErrors, created);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    createErrors.clear();
    created.textContent = "";
    try {
      const topic = await api.createTopic(name.value.trim(),
        partitions.value === "" ? null : Number(partitions.value), parseConfigs(configs.value));
      created.replaceChildren("Created ", link(`#/topics/${encodeURIComponent(topic.name)}`, topic.name),
        ` with ${topic.partitions} partition(s).`);
      await refresh();
    } catch (e) {
      createErrors.show(e);
    }
  });
  const refresh = async () => {
    try {
      const topics = await api.topics();
      listErrors.clear();
      replace(list, table("topics", ["topic", "partitions", "configs set on the topic", "topic id"], topics,
        (t) => [
          link(`#/topics/${encodeURIComponent(t.name)}`, t.name), t.partitions,
          Object.entries(t.configs).map(([k, v]) => `${k}=${v}`).join(", ") || "-", t.topic_id,
        ], "No topics yet."));
    } catch (e) {
      listErrors.show(e);
    }
  };
  replace(root, el("h2", {}, "Topics"), listErrors, list, form);
  return every(REFRESH_MS * 2, refresh);
};
