import { api } from "../api";
import { el, replace, table } from "../dom";
import { errorBox, every, link, REFRESH_MS, type View } from "../view";

/** The cluster: members with their node ids, status and addresses, the controller, what each node leads. */
export const clusterView: View = (root) => {
  const errors = errorBox("cluster-error");
  const body = el("div");
  replace(root, el("h2", {}, "Cluster"), errors, body);
  return every(REFRESH_MS * 2, async () => {
    try {
      const cluster = await api.cluster();
      errors.clear();
      const leads = new Map<number, number>();
      for (const p of cluster.partitions) leads.set(p.leader, (leads.get(p.leader) ?? 0) + 1);
      const coordinates = new Map<number, number>();
      for (const g of cluster.groups) coordinates.set(g.coordinator, (coordinates.get(g.coordinator) ?? 0) + 1);
      replace(
        body,
        el("p", {}, `Controller: node ${cluster.controller}. ${cluster.members.length} member(s), `,
          `${cluster.partitions.length} partition(s), ${cluster.groups.length} group(s).`),
        table("cluster-members",
          ["node", "status", "reachable", "Kafka", "HTTP", "roles", "address", "leads", "coordinates"],
          cluster.members,
          (m) => [
            m.node_id, m.status, m.reachable ? "yes" : "NO", m.kafka ?? "-",
            m.http === null ? "-" : m.http, m.roles.join(", "), m.address,
            `${leads.get(m.node_id) ?? 0} partitions`, `${coordinates.get(m.node_id) ?? 0} groups`,
          ]),
        el("h3", {}, "Partition leaders"),
        table("cluster-partitions", ["topic", "partition", "leader"], cluster.partitions,
          (p) => [link(`#/topics/${encodeURIComponent(p.topic)}`, p.topic), p.partition, p.leader]),
      );
    } catch (e) {
      errors.show(e);
    }
  });
};
