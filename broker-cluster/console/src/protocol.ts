// Runnel's native streaming protocol (dev.runnel.client.internal.Protocol), the part a live tail needs: one message
// per binary WebSocket frame, a type byte, then big-endian fields; a string is a 2-byte length and UTF-8 bytes;
// record batches (Kafka's v2 format) take the rest of a Records frame.

const SUBSCRIBE = 5;
const SUBSCRIBED = 6;
const CREDIT = 7;
const RECORDS = 8;
const CANCEL = 9;
const ERROR = 10;

/** Subscribe's start offsets: the partition's first record, or only records produced from now on. */
export const EARLIEST = -2;
export const LATEST = -1;
const READ_COMMITTED = 1;

export type Incoming =
  | { type: "subscribed"; subscriptionId: number; offset: number }
  | { type: "records"; subscriptionId: number; highWatermark: number; batches: Uint8Array }
  | { type: "error"; ref: number; errorCode: number; message: string }
  | { type: "other"; typeByte: number };

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

class Writer {
  private readonly bytes: number[] = [];

  byte(value: number): this {
    this.bytes.push(value & 0xff);
    return this;
  }

  int(value: number): this {
    return this.byte(value >>> 24).byte(value >>> 16).byte(value >>> 8).byte(value);
  }

  long(value: number): this {
    const big = BigInt.asUintN(64, BigInt(value));
    return this.int(Number(big >> 32n)).int(Number(big & 0xffffffffn));
  }

  string(value: string): this {
    const encoded = utf8.encode(value);
    this.byte(encoded.length >>> 8).byte(encoded.length);
    encoded.forEach((b) => this.bytes.push(b));
    return this;
  }

  done(): Uint8Array<ArrayBuffer> {
    return Uint8Array.from(this.bytes);
  }
}

/**
 * Subscribe to one partition from {@code offset}. The broker sends nothing before credit; a read that finds
 * nothing waits up to {@code maxWaitMs}. read_committed, as the native client does by default.
 */
export function subscribe(
  subscriptionId: number,
  topic: string,
  partition: number,
  offset: number,
  maxFrameBytes: number,
  maxWaitMs: number,
): Uint8Array<ArrayBuffer> {
  return new Writer().byte(SUBSCRIBE).int(subscriptionId).string(topic).int(partition).long(offset)
    .int(maxFrameBytes).int(maxWaitMs).byte(READ_COMMITTED).done();
}

/** Allow the broker {@code frames} more Records frames on the subscription. */
export function credit(subscriptionId: number, frames: number): Uint8Array<ArrayBuffer> {
  return new Writer().byte(CREDIT).int(subscriptionId).int(frames).done();
}

export function cancel(subscriptionId: number): Uint8Array<ArrayBuffer> {
  return new Writer().byte(CANCEL).int(subscriptionId).done();
}

export function decode(frame: ArrayBuffer): Incoming {
  const view = new DataView(frame);
  const type = view.getUint8(0);
  switch (type) {
    case SUBSCRIBED:
      return { type: "subscribed", subscriptionId: view.getInt32(1), offset: Number(view.getBigInt64(5)) };
    case RECORDS:
      return {
        type: "records",
        subscriptionId: view.getInt32(1),
        highWatermark: Number(view.getBigInt64(5)),
        batches: new Uint8Array(frame, 13),
      };
    case ERROR: {
      const length = view.getInt16(7);
      return {
        type: "error",
        ref: view.getInt32(1),
        errorCode: view.getInt16(5),
        message: fromUtf8.decode(new Uint8Array(frame, 9, length)),
      };
    }
    default:
      return { type: "other", typeByte: type };
  }
}

/** Kafka's names of the error codes a subscription may end with (org.apache.kafka.common.protocol.Errors). */
const ERROR_NAMES: Record<number, string> = {
  [-1]: "UNKNOWN_SERVER_ERROR",
  1: "OFFSET_OUT_OF_RANGE",
  3: "UNKNOWN_TOPIC_OR_PARTITION",
  5: "LEADER_NOT_AVAILABLE",
  6: "NOT_LEADER_OR_FOLLOWER",
  7: "REQUEST_TIMED_OUT",
  13: "NETWORK_EXCEPTION",
  17: "INVALID_TOPIC_EXCEPTION",
  42: "INVALID_REQUEST",
};

export function errorName(code: number): string {
  return ERROR_NAMES[code] ?? `error code ${code}`;
}

/** The errors after which a subscription is started again from the next offset (a partition moving nodes). */
export function retriable(code: number): boolean {
  return code === 5 || code === 6 || code === 7 || code === 13;
}
