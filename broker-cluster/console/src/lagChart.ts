// A group's lag over time: the console samples GET /groups/{id} while the group's page is open and keeps the
// samples for as long as the page (the browser tab) lives, so the chart goes on where it was when one comes back.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { GroupView } from "./api";

const KEPT_SAMPLES = 600;
const COLORS = ["#2f6fde", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285", "#c2255c", "#5f3dc4"];

export interface LagSample {
  /** Seconds since the epoch (uPlot's time unit). */
  time: number;
  total: number;
  partitions: Record<string, number>;
}

const histories = new Map<string, LagSample[]>();

/** Adds a sample of the group's lag (partitions whose lag is unknown, -1, left out) and returns the history. */
export function record(group: GroupView, now = Date.now()): LagSample[] {
  const samples = histories.get(group.group_id) ?? [];
  histories.set(group.group_id, samples);
  const partitions: Record<string, number> = {};
  let total = 0;
  for (const p of group.partitions) {
    if (p.lag < 0) continue;
    partitions[`${p.topic}-${p.partition}`] = p.lag;
    total += p.lag;
  }
  samples.push({ time: now / 1000, total, partitions });
  if (samples.length > KEPT_SAMPLES) samples.splice(0, samples.length - KEPT_SAMPLES);
  return samples;
}

/** A uPlot chart of total lag and each partition's, redrawn with {@link LagChart.update}. */
export class LagChart {
  private plot: uPlot | null = null;
  private seriesKeys: string[] = [];

  constructor(private readonly container: HTMLElement) {}

  update(samples: LagSample[]): void {
    const keys = [...new Set(samples.flatMap((s) => Object.keys(s.partitions)))].sort();
    const data: uPlot.AlignedData = [
      samples.map((s) => s.time),
      samples.map((s) => s.total),
      ...keys.map((key) => samples.map((s) => s.partitions[key] ?? null)),
    ];
    // The samples as data, for people who read numbers and for the console's browser tests.
    this.container.dataset.samples = JSON.stringify(samples.map((s) => s.total));
    if (this.plot === null || keys.join() !== this.seriesKeys.join()) {
      this.plot?.destroy();
      this.seriesKeys = keys;
      this.plot = new uPlot(this.options(keys), data, this.container);
    } else {
      this.plot.setData(data);
    }
  }

  destroy(): void {
    this.plot?.destroy();
  }

  private options(keys: string[]): uPlot.Options {
    return {
      width: Math.max(320, Math.min(900, this.container.clientWidth || 900)),
      height: 260,
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [{}, { label: "records behind" }],
      series: [
        {},
        { label: "total lag", stroke: "#111", width: 2 },
        ...keys.map((key, i) => ({ label: key, stroke: COLORS[i % COLORS.length], width: 1 })),
      ],
    };
  }
}
