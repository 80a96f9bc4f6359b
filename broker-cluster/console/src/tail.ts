// A live tail of a topic over the native streaming protocol: one subscription per partition on a WebSocket to the
// broker's /stream. The broker never sends a subscription more Records frames than it was granted credit for, so
// the tail grants one frame at a time and a new one only after each frame arrives. Pausing grants no more: once
// the frames already granted have arrived (at most one per partition) the broker sends nothing, however much is
// produced. Resuming grants again, and the broker goes on from the subscription's position: no record is skipped.

import { type Batch, readBatches, type TailRecord } from "./batches";
import { cancel, credit, decode, EARLIEST, errorName, LATEST, retriable, subscribe } from "./protocol";

export type TailStart = "latest" | "earliest";

export interface TailPartition {
  partition: number;
  /** The offset of the next record the tail expects. */
  nextOffset: number | null;
  /** Frames granted and not yet received: 0 or 1. */
  granted: number;
  received: number;
  highWatermark: number;
}

export interface TailState {
  connection: "connecting" | "open" | "closed";
  paused: boolean;
  received: number;
  frames: number;
  /** Offsets the tail expected and never got: 0 unless records were lost (or compacted away). */
  gaps: number;
  /** Records of batches compressed with a codec the browser cannot read (counted, not shown). */
  undecoded: number;
  error: string | null;
  partitions: TailPartition[];
  recent: (TailRecord & { partition: number })[];
}

const MAX_FRAME_BYTES = 256 * 1024;
const MAX_WAIT_MS = 1000;
const RECENT = 100;
const RETRY_MS = 1000;

export class Tail {
  private readonly socket: WebSocket;
  private readonly state: TailState;
  /** Frames are read in arrival order per subscription even though gzip batches decompress asynchronously. */
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly topic: string,
    partitions: number,
    private readonly start: TailStart,
    private readonly onChange: (state: TailState) => void,
  ) {
    this.state = {
      connection: "connecting",
      paused: false,
      received: 0,
      frames: 0,
      gaps: 0,
      undecoded: 0,
      error: null,
      partitions: Array.from({ length: partitions }, (_, partition) => ({
        partition, nextOffset: null, granted: 0, received: 0, highWatermark: -1,
      })),
      recent: [],
    };
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.socket = new WebSocket(`${scheme}//${location.host}/stream`);
    this.socket.binaryType = "arraybuffer";
    this.socket.onopen = () => {
      this.state.connection = "open";
      for (const p of this.state.partitions) this.subscribe(p);
      this.changed();
    };
    this.socket.onclose = () => {
      this.state.connection = "closed";
      if (!this.stopped) this.state.error ??= "the broker closed the stream";
      this.changed();
    };
    this.socket.onmessage = (event) => {
      const frame = event.data as ArrayBuffer;
      this.reading = this.reading.then(() => this.onFrame(frame)).catch((e) => {
        this.state.error = `a frame could not be read: ${String(e)}`;
        this.changed();
      });
    };
  }

  pause(): void {
    this.state.paused = true;
    this.changed();
  }

  resume(): void {
    this.state.paused = false;
    for (const p of this.state.partitions) this.grant(p);
    this.changed();
  }

  stop(): void {
    this.stopped = true;
    if (this.socket.readyState === WebSocket.OPEN) {
      for (const p of this.state.partitions) this.socket.send(cancel(subscriptionId(p)));
    }
    this.socket.close();
  }

  /** Subscription ids are partition + 1: one subscription per partition on this connection. */
  private subscribe(p: TailPartition): void {
    const from = p.nextOffset ?? (this.start === "earliest" ? EARLIEST : LATEST);
    this.socket.send(subscribe(subscriptionId(p), this.topic, p.partition, from, MAX_FRAME_BYTES, MAX_WAIT_MS));
  }

  private grant(p: TailPartition): void {
    if (this.state.paused || p.granted > 0 || p.nextOffset === null || this.socket.readyState !== WebSocket.OPEN) {
      return;
    }
    p.granted = 1;
    this.socket.send(credit(subscriptionId(p), 1));
  }

  private async onFrame(frame: ArrayBuffer): Promise<void> {
    const message = decode(frame);
    if (message.type === "subscribed") {
      const p = this.state.partitions[message.subscriptionId - 1];
      p.nextOffset = message.offset;
      p.granted = 0;
      this.grant(p);
    } else if (message.type === "records") {
      const p = this.state.partitions[message.subscriptionId - 1];
      p.granted = 0;
      p.highWatermark = message.highWatermark;
      this.state.frames++;
      this.take(p, await readBatches(message.batches));
      this.grant(p);
    } else if (message.type === "error") {
      const p = this.state.partitions[message.ref - 1];
      this.state.error = `${errorName(message.errorCode)}: ${message.message}`;
      if (p !== undefined && retriable(message.errorCode)) {
        // The partition is moving to another node: start again where this subscription stopped.
        p.granted = 0;
        setTimeout(() => this.stopped || this.subscribe(p), RETRY_MS);
      }
    }
    this.changed();
  }

  private take(p: TailPartition, batches: Batch[]): void {
    for (const batch of batches) {
      const expected = p.nextOffset ?? batch.baseOffset;
      if (batch.records === null) {
        if (batch.nextOffset <= expected) continue;
        this.state.undecoded += batch.recordCount;
        this.count(p, Math.max(batch.baseOffset, expected), batch.nextOffset, batch.recordCount);
        continue;
      }
      for (const record of batch.records) {
        // A batch may begin before the offset asked for (as in Kafka): skip what the tail already has.
        if (record.offset < (p.nextOffset ?? record.offset)) continue;
        this.count(p, record.offset, record.offset + 1, 1);
        this.state.recent.unshift({ ...record, partition: p.partition });
      }
      p.nextOffset = Math.max(p.nextOffset ?? 0, batch.nextOffset);
    }
    this.state.recent.length = Math.min(this.state.recent.length, RECENT);
  }

  private count(p: TailPartition, first: number, next: number, records: number): void {
    if (p.nextOffset !== null && first > p.nextOffset) {
      this.state.gaps += first - p.nextOffset;
    }
    p.nextOffset = next;
    p.received += records;
    this.state.received += records;
  }

  private changed(): void {
    this.onChange(this.state);
  }
}

function subscriptionId(p: TailPartition): number {
  return p.partition + 1;
}
