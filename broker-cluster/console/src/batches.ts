// Kafka's v2 RecordBatch format (KIP-98), read in the browser: the 61-byte batch header, then the records, each a
// run of zigzag varints and bytes. Uncompressed and gzip batches (the browser's DecompressionStream) are read
// record by record; for the other codecs the header alone still gives the batch's offsets and record count.

export interface TailRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: [string, string | null][];
}

export interface Batch {
  baseOffset: number;
  /** The offset after the batch's last record: where the next batch starts. */
  nextOffset: number;
  recordCount: number;
  codec: string;
  /** The records, or null when the codec is one the browser cannot decompress. */
  records: TailRecord[] | null;
}

const HEADER_BYTES = 61;
const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"];
const text = new TextDecoder();

/** Every whole batch in {@code bytes} (a Records frame holds whole batches only). */
export async function readBatches(bytes: Uint8Array): Promise<Batch[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const batches: Batch[] = [];
  let position = 0;
  while (position + HEADER_BYTES <= bytes.byteLength) {
    const baseOffset = Number(view.getBigInt64(position));
    const size = 12 + view.getInt32(position + 8);
    const attributes = view.getInt16(position + 21);
    const lastOffsetDelta = view.getInt32(position + 23);
    const baseTimestamp = Number(view.getBigInt64(position + 27));
    const recordCount = view.getInt32(position + 57);
    const codec = CODECS[attributes & 0x07] ?? `codec ${attributes & 0x07}`;
    const body = bytes.subarray(position + HEADER_BYTES, position + size);
    let records: TailRecord[] | null = null;
    if (codec === "none") {
      records = readRecords(body, recordCount, baseOffset, baseTimestamp);
    } else if (codec === "gzip") {
      records = readRecords(await gunzip(body), recordCount, baseOffset, baseTimestamp);
    }
    batches.push({ baseOffset, nextOffset: baseOffset + lastOffsetDelta + 1, recordCount, codec, records });
    position += size;
  }
  return batches;
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function readRecords(bytes: Uint8Array, count: number, baseOffset: number, baseTimestamp: number): TailRecord[] {
  const reader = new VarReader(bytes);
  const records: TailRecord[] = [];
  for (let i = 0; i < count; i++) {
    const length = reader.varint();
    const end = reader.position + length;
    reader.skip(1); // attributes: unused in v2
    const timestampDelta = reader.varint();
    const offsetDelta = reader.varint();
    const key = reader.bytes();
    const value = reader.bytes();
    const headers: [string, string | null][] = [];
    const headerCount = reader.varint();
    for (let h = 0; h < headerCount; h++) {
      const name = reader.bytes();
      headers.push([name === null ? "" : text.decode(name), decodeText(reader.bytes())]);
    }
    reader.position = end;
    records.push({
      offset: baseOffset + offsetDelta,
      timestamp: baseTimestamp + timestampDelta,
      key: decodeText(key),
      value: decodeText(value),
      headers,
    });
  }
  return records;
}

function decodeText(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : text.decode(bytes);
}

class VarReader {
  position = 0;

  constructor(private readonly data: Uint8Array) {}

  skip(n: number): void {
    this.position += n;
  }

  /** A zigzag varint or varlong; numbers up to 2^53 are exact, which offsets and timestamp deltas are. */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.position >= this.data.byteLength) throw new Error("truncated record");
      const b = this.data[this.position++];
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      }
      scale *= 128;
    }
    throw new Error("varint longer than 10 bytes");
  }

  /** A varint length then that many bytes; -1 is null. */
  bytes(): Uint8Array | null {
    const length = this.varint();
    if (length < 0) return null;
    const bytes = this.data.subarray(this.position, this.position + length);
    this.position += length;
    return bytes;
  }
}
