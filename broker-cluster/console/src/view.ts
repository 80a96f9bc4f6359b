// What every page of the console shares: a place for the broker's errors, and polling.

import { BrokerError } from "./api";
import { el, replace } from "./dom";

/** A page: draws itself into the root and returns what stops it (timers, streams) when the page is left. */
export type View = (root: HTMLElement, param: string) => () => void;

export const REFRESH_MS = 1000;

/** A box that shows the broker's error for an action, or nothing. */
export type ErrorBox = HTMLElement & { show(e: unknown): void; clear(): void };

export function errorBox(testId: string): ErrorBox {
  const box = el("div", { class: "error", role: "alert", "data-testid": testId, hidden: true });
  return Object.assign(box, {
    show(e: unknown) {
      replace(box, e instanceof BrokerError ? e.describe() : String(e));
      box.hidden = false;
    },
    clear() {
      replace(box);
      box.hidden = true;
    },
  });
}

/** Runs {@code task} now and then every {@code ms}, never two at once; returns what stops it. */
export function every(ms: number, task: () => Promise<void>): () => void {
  let stopped = false;
  let timer: number | undefined;
  const run = async () => {
    try {
      await task();
    } finally {
      if (!stopped) timer = window.setTimeout(run, ms);
    }
  };
  void run();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}

export function link(href: string, text: string): HTMLAnchorElement {
  return el("a", { href }, text);
}

/** Parses "name=value" lines (blank lines ignored) into configs; throws on a line without "=". */
export function parseConfigs(text: string): Record<string, string> {
  const configs: Record<string, string> = {};
  for (const line of text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0)) {
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`"${line}" is not name=value`);
    configs[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return configs;
}
