package dev.runnel.broker.kafka;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.kafka.common.protocol.Writable;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.utils.internals.ByteUtils;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * A kafka-clients {@link Writable} that builds a Pekko {@link ByteString}, as kafka-clients' own {@code SendBuilder}
 * builds a {@code Send}: the small fields are copied, but record sets on heap buffers become parts of the result
 * without a copy, so a Fetch response of 50 MB holds its record bytes once (the read's buffers), not twice.
 *
 * <p>This class is not thread-safe: one per response.
 */
final class ByteStringWriter implements Writable {

  private final ByteStringBuilder builder = ByteString.createBuilder();

  ByteString result() {
    return builder.result();
  }

  @Override
  public void writeByte(byte value) {
    builder.putByte(value);
  }

  @Override
  public void writeShort(short value) {
    builder.putShort(value, ByteOrder.BIG_ENDIAN);
  }

  @Override
  public void writeInt(int value) {
    builder.putInt(value, ByteOrder.BIG_ENDIAN);
  }

  @Override
  public void writeLong(long value) {
    builder.putLong(value, ByteOrder.BIG_ENDIAN);
  }

  @Override
  public void writeDouble(double value) {
    builder.putDouble(value, ByteOrder.BIG_ENDIAN);
  }

  @Override
  public void writeByteArray(byte[] bytes) {
    builder.putBytes(bytes);
  }

  @Override
  public void writeUnsignedVarint(int value) {
    ByteBuffer buffer = ByteBuffer.allocate(ByteUtils.sizeOfUnsignedVarint(value));
    ByteUtils.writeUnsignedVarint(value, buffer);
    builder.putBytes(buffer.array());
  }

  @Override
  public void writeVarint(int value) {
    ByteBuffer buffer = ByteBuffer.allocate(ByteUtils.sizeOfVarint(value));
    ByteUtils.writeVarint(value, buffer);
    builder.putBytes(buffer.array());
  }

  @Override
  public void writeVarlong(long value) {
    ByteBuffer buffer = ByteBuffer.allocate(ByteUtils.sizeOfVarlong(value));
    ByteUtils.writeVarlong(value, buffer);
    builder.putBytes(buffer.array());
  }

  /** Copies: byte fields other than record sets are small. */
  @Override
  public void writeByteBuffer(ByteBuffer buffer) {
    builder.append(ByteString.fromByteBuffer(buffer.duplicate()));
  }

  @Override
  public void writeRecords(BaseRecords records) {
    if (records instanceof MemoryRecords memory && memory.buffer().hasArray()) {
      ByteBuffer buffer = memory.buffer();
      if (buffer.hasRemaining()) {
        builder.append(ByteString.fromArrayUnsafe(
            buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining()));
      }
    } else {
      Writable.super.writeRecords(records);
    }
  }
}
