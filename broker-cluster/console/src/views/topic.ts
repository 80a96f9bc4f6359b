import { api, type ClusterDescription, type TopicDescription } from "../api";
import { el, formatBytes, replace, table } from "../dom";
import { Tail, type TailStart, type TailState } from "../tail";
import { errorBox, every, parseConfigs, REFRESH_MS, type View } from "../view";

/** One topic: its partitions' offsets, sizes and leaders, its configs (editable), and a live tail. */
export const topicView: View = (root, name) => {
  const errors = errorBox("topic-error");
  const partitions = el("div");
  const configs = el("div");
  const tailPanel = el("div", { class: "panel" });
  let description: TopicDescription | null = null;
  let tail: Tail | null = null;

  const configErrors = errorBox("configs-error");
  const overrides = el("textarea", { rows: 4, "data-testid": "config-overrides" });
  const saved = el("p", { class: "ok", "data-testid": "configs-result" });
  const configForm = el("form", { class: "panel" },
    el("h3", {}, "Change configs"),
    el("p", { class: "hint" }, "The topic's overrides, one name=value per line. Saving replaces them all, as Kafka's ",
      "AlterConfigs does: a config left out goes back to the broker's default."),
    overrides,
    el("button", { type: "submit", "data-testid": "save-configs" }, "Save configs"),
    configErrors, saved);
  configForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    configErrors.clear();
    saved.textContent = "";
    try {
      const entries = await api.alterConfigs(name, parseConfigs(overrides.value));
      saved.textContent = `Saved: ${entries.filter((c) => c.overridden).length} override(s).`;
      await refresh(true);
    } catch (e) {
      configErrors.show(e);
    }
  });

  const refresh = async (rewriteOverrides = false) => {
    try {
      const [topic, cluster]: [TopicDescription, ClusterDescription] = await Promise.all([api.topic(name), api.cluster()]);
      errors.clear();
      const first = description === null;
      description = topic;
      const leaders = new Map(cluster.partitions.filter((p) => p.topic === name).map((p) => [p.partition, p.leader]));
      replace(partitions, table("partitions",
        ["partition", "leader", "log start", "log end", "records", "size"], topic.partitions,
        (p) => [p.partition, leaders.get(p.partition) ?? "-", p.log_start_offset, p.log_end_offset,
          p.log_end_offset - p.log_start_offset, formatBytes(p.size_in_bytes)]));
      replace(configs, table("configs", ["config", "value", "default", ""], topic.configs,
        (c) => [c.name, c.value ?? "-", c.default_value ?? "-", c.overridden ? "set on the topic" : ""]));
      if (first || rewriteOverrides) {
        overrides.value = topic.configs.filter((c) => c.overridden).map((c) => `${c.name}=${c.value}`).join("\n");
      }
      if (first) drawTailControls();
    } catch (e) {
      errors.show(e);
    }
  };

  const status = el("p", { "data-testid": "tail-status" });
  const stats = el("div", { "data-testid": "tail-stats" });
  const rows = el("div");
  const start = el("select", { "data-testid": "tail-from" },
    el("option", { value: "latest" }, "new records"), el("option", { value: "earliest" }, "the beginning"));
  const startButton = el("button", { type: "button", "data-testid": "tail-start" }, "Start");
  const pauseButton = el("button", { type: "button", "data-testid": "tail-pause", disabled: true }, "Pause");

  const drawTail = (state: TailState) => {
    const inFlight = state.partitions.reduce((sum, p) => sum + p.granted, 0);
    const flow = state.connection !== "open" ? state.connection
      : state.partitions.some((p) => p.nextOffset === null) ? "subscribing"
      : !state.paused ? "flowing"
      : inFlight > 0 ? "pausing" : "paused";
    const explained: Record<string, string> = {
      connecting: "connecting",
      closed: "closed",
      subscribing: "subscribing",
      flowing: "flowing",
      pausing: `pausing: ${inFlight} frame(s) still granted`,
      paused: "paused: no credit granted, the broker sends nothing",
    };
    status.dataset.flow = flow;
    status.textContent = explained[flow] + (state.error ? ` (${state.error})` : "");
    pauseButton.textContent = state.paused ? "Resume" : "Pause";
    stats.dataset.received = String(state.received);
    stats.dataset.gaps = String(state.gaps);
    replace(stats,
      el("span", { "data-testid": "tail-received" }, `${state.received} records`), " in ",
      `${state.frames} frames; `, el("span", { "data-testid": "tail-gaps" }, `${state.gaps} offsets missed`),
      state.undecoded > 0 ? `; ${state.undecoded} records in batches the browser cannot decompress` : "",
      "; next offset per partition: ",
      state.partitions.map((p) => `${p.partition}: ${p.nextOffset ?? "?"} (end ${p.highWatermark})`).join(", "));
    replace(rows, table("tail-records", ["partition", "offset", "time", "key", "value", "headers"], state.recent,
      (r) => [r.partition, r.offset, new Date(r.timestamp).toISOString(), r.key ?? "null",
        (r.value ?? "null").slice(0, 300), r.headers.map(([k, v]) => `${k}=${v ?? "null"}`).join(", ")],
      "Nothing yet."));
  };

  const drawTailControls = () => {
    startButton.addEventListener("click", () => {
      if (description === null) return;
      tail?.stop();
      tail = new Tail(name, description.partitions.length, start.value as TailStart, drawTail);
      startButton.textContent = "Restart";
      pauseButton.disabled = false;
    });
    pauseButton.addEventListener("click", () => {
      if (tail === null) return;
      if (pauseButton.textContent === "Resume") tail.resume(); else tail.pause();
    });
    replace(tailPanel, el("h3", {}, "Live tail"),
      el("p", { class: "hint" }, "Read over the native streaming protocol, one frame of credit at a time per partition: ",
        "pausing grants no more credit, so the broker stops sending; resuming goes on from the next offset."),
      el("label", {}, "From ", start), " ", startButton, " ", pauseButton, status, stats, rows);
  };

  replace(root, el("h2", {}, "Topic ", el("span", { "data-testid": "topic-name" }, name)), errors,
    el("h3", {}, "Partitions"), partitions, tailPanel, el("h3", {}, "Configs"), configs, configForm);
  const stopRefresh = every(REFRESH_MS * 2, () => refresh());
  return () => {
    stopRefresh();
    tail?.stop();
  };
};
