import { api, type GroupView, type ResetTarget } from "../api";
import { el, replace, table } from "../dom";
import { LagChart, record } from "../lagChart";
import { errorBox, every, REFRESH_MS, type View } from "../view";

/** One group: members and their assignment, committed offsets and lag per partition, lag over time, offset reset. */
export const groupView: View = (root, id) => {
  const errors = errorBox("group-error");
  const summary = el("p", { "data-testid": "group-summary" });
  const members = el("div");
  const partitions = el("div");
  const total = el("p", { "data-testid": "group-lag" });
  const chartBox = el("div", { class: "chart", "data-testid": "lag-chart" });
  const chart = new LagChart(chartBox);

  const resetErrors = errorBox("reset-error");
  const resetDone = el("p", { class: "ok", "data-testid": "reset-result" });
  const topic = el("input", { placeholder: "topic", required: true, "data-testid": "reset-topic" });
  const to = el("select", { "data-testid": "reset-to" },
    ["earliest", "latest", "offset", "timestamp"].map((t) => el("option", { value: t }, t)));
  const value = el("input", { placeholder: "offset, or epoch ms", "data-testid": "reset-value" });
  const resetForm = el("form", { class: "panel" },
    el("h3", {}, "Reset offsets"),
    el("p", { class: "hint" }, "As kafka-consumer-groups --reset-offsets: every partition of the topic, while the ",
      "group has no members."),
    el("label", {}, "Topic ", topic), " ", el("label", {}, "to ", to), " ", value, " ",
    el("button", { type: "submit", "data-testid": "reset-offsets" }, "Reset"), resetErrors, resetDone);
  resetForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    resetErrors.clear();
    resetDone.textContent = "";
    try {
      const target: ResetTarget = to.value === "offset" ? { to: "offset", offset: Number(value.value) }
        : to.value === "timestamp" ? { to: "timestamp", timestamp: Number(value.value) }
        : { to: to.value as "earliest" | "latest" };
      const lag = await api.resetOffsets(id, topic.value.trim(), target);
      resetDone.textContent = `Reset: ${lag.filter((p) => p.topic === topic.value.trim())
        .map((p) => `${p.topic}-${p.partition} at ${p.committed_offset}`).join(", ")}.`;
    } catch (e) {
      resetErrors.show(e);
    }
  });

  const draw = (g: GroupView) => {
    replace(summary, `State ${g.state}, generation ${g.generation}, protocol ${g.protocol_type || "-"}`,
      g.protocol ? ` (${g.protocol})` : "", `, ${g.members.length} member(s)`,
      g.leader ? `, leader ${g.leader}` : "", ".");
    replace(members, table("group-members", ["member", "instance id", "client id", "host", "assigned partitions"],
      g.members, (m) => [m.member_id, m.group_instance_id ?? "-", m.client_id, m.client_host,
        m.assignment.map((a) => `${a.topic}-${a.partition}`).join(", ") || "-"], "No members."));
    replace(partitions, table("group-partitions",
      ["topic", "partition", "committed offset", "log end offset", "lag", "member"], g.partitions,
      (p) => [p.topic, p.partition, p.committed_offset < 0 ? "-" : p.committed_offset,
        p.log_end_offset < 0 ? "-" : p.log_end_offset, p.lag < 0 ? "-" : p.lag, p.member_id ?? "-"]));
    const samples = record(g);
    const latest = samples[samples.length - 1];
    total.dataset.lag = String(latest.total);
    total.textContent = `Total lag: ${latest.total} records.`;
    chart.update(samples);
    if (topic.value === "" && g.partitions.length > 0) topic.value = g.partitions[0].topic;
  };

  replace(root, el("h2", {}, "Group ", el("span", { "data-testid": "group-id" }, id)), errors, summary,
    el("h3", {}, "Members"), members, el("h3", {}, "Offsets and lag"), partitions,
    el("h3", {}, "Lag over time"), total, chartBox, resetForm);
  const stop = every(REFRESH_MS, async () => {
    try {
      draw(await api.group(id));
      errors.clear();
    } catch (e) {
      errors.show(e);
    }
  });
  return () => {
    stop();
    chart.destroy();
  };
};
