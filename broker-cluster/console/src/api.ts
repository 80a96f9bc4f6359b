// The broker's HTTP API as the console uses it. Every error the broker answers is its JSON
// {"error": NAME, "code": N, "message": "..."} (Kafka's error names); BrokerError carries it to the page unchanged.

export class BrokerError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number | null,
    message: string,
  ) {
    super(message);
  }

  /** What the page shows: the broker's Kafka error name and its message. */
  describe(): string {
    return `${this.error}: ${this.message}`;
  }
}

export interface ClusterMember {
  address: string;
  status: string;
  roles: string[];
  reachable: boolean;
  node_id: number;
  kafka: string | null;
  http: string | null;
}

export interface ClusterDescription {
  controller: number;
  members: ClusterMember[];
  partitions: { topic: string; partition: number; leader: number }[];
  groups: { group_id: string; coordinator: number }[];
}

export interface TopicSummary {
  name: string;
  topic_id: string;
  partitions: number;
  configs: Record<string, string>;
}

export interface PartitionDescription {
  partition: number;
  log_start_offset: number;
  log_end_offset: number;
  size_in_bytes: number;
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  default_value: string | null;
  overridden: boolean;
}

export interface TopicDescription {
  name: string;
  topic_id: string;
  partitions: PartitionDescription[];
  configs: ConfigEntry[];
}

export interface GroupSummary {
  group_id: string;
  state: string;
  protocol_type: string;
  protocol: string | null;
  members: number;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committed_offset: number;
  log_end_offset: number;
  lag: number;
  member_id: string | null;
}

export interface GroupMember {
  member_id: string;
  group_instance_id: string | null;
  client_id: string;
  client_host: string;
  assignment: { topic: string; partition: number }[];
}

export interface GroupView {
  group_id: string;
  state: string;
  protocol_type: string;
  protocol: string | null;
  generation: number;
  leader: string | null;
  members: GroupMember[];
  partitions: PartitionLag[];
}

export type ResetTarget =
  | { to: "earliest" }
  | { to: "latest" }
  | { to: "offset"; offset: number }
  | { to: "timestamp"; timestamp: number };

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? { Accept: "application/json" } : {
        Accept: "application/json",
        "Content-Type": "application/json",
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new BrokerError(0, "NETWORK_EXCEPTION", null, `the broker cannot be reached (${String(e)})`);
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    // Not JSON: a proxy's page or a bare status; shown as text below.
  }
  if (!response.ok) {
    const error = json as { error?: string; code?: number; message?: string } | null;
    throw new BrokerError(
      response.status,
      error?.error ?? `HTTP ${response.status}`,
      error?.code ?? null,
      error?.message ?? (text || response.statusText),
    );
  }
  return json as T;
}

const segment = encodeURIComponent;

export const api = {
  cluster: () => call<ClusterDescription>("GET", "/cluster"),
  topics: () => call<TopicSummary[]>("GET", "/topics"),
  topic: (name: string) => call<TopicDescription>("GET", `/topics/${segment(name)}`),
  createTopic: (name: string, partitions: number | null, configs: Record<string, string>) =>
    call<TopicSummary>("POST", "/topics", partitions === null ? { name, configs } : { name, partitions, configs }),
  alterConfigs: (name: string, configs: Record<string, string>) =>
    call<ConfigEntry[]>("PUT", `/topics/${segment(name)}/configs`, { configs }),
  groups: () => call<GroupSummary[]>("GET", "/groups"),
  group: (id: string) => call<GroupView>("GET", `/groups/${segment(id)}`),
  resetOffsets: (id: string, topic: string, target: ResetTarget) =>
    call<PartitionLag[]>("POST", `/groups/${segment(id)}/offsets/reset`, { topic, ...target }),
};
