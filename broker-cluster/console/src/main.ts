// The console's shell: a header with the pages, and a hash router (#/cluster, #/topics, #/topics/NAME, #/groups,
// #/groups/ID), so the broker serves a single page at / and every link stays a plain URL.

import "./style.css";
import { el, replace } from "./dom";
import type { View } from "./view";
import { clusterView } from "./views/cluster";
import { groupView } from "./views/group";
import { groupsView } from "./views/groups";
import { topicView } from "./views/topic";
import { topicsView } from "./views/topics";

const routes: [RegExp, View][] = [
  [/^#\/cluster$/, clusterView],
  [/^#\/topics$/, topicsView],
  [/^#\/topics\/(.+)$/, topicView],
  [/^#\/groups$/, groupsView],
  [/^#\/groups\/(.+)$/, groupView],
];

const main = el("main");
const nav = el("nav", {}, ...[["#/cluster", "Cluster"], ["#/topics", "Topics"], ["#/groups", "Groups"]]
  .map(([href, text]) => el("a", { href, "data-nav": href }, text)));
replace(document.body, el("header", {}, el("h1", {}, "Runnel"), nav), main);

let leave: () => void = () => {};

function route(): void {
  if (location.hash === "" || location.hash === "#" || location.hash === "#/") {
    location.replace("#/cluster");
    return;
  }
  leave();
  for (const [pattern, view] of routes) {
    const match = pattern.exec(location.hash);
    if (match === null) continue;
    for (const a of nav.querySelectorAll("a")) {
      a.classList.toggle("active", location.hash.startsWith(a.dataset.nav ?? "-"));
    }
    leave = view(main, match[1] === undefined ? "" : decodeURIComponent(match[1]));
    return;
  }
  leave = () => {};
  replace(main, el("h2", {}, "Not found"), el("p", {}, `No page at ${location.hash}.`));
}

window.addEventListener("hashchange", route);
route();
