package io.wsmsg.bench;

import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.ProtocolException;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Cost of the hot-path header work: decode a frame, write it in the other order. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FrameCodecBenchmark {
  @Param({"100", "4096"})
  public int payloadBytes;

  byte[] seed;
  byte[] legacy;

  @Setup
  public void setUp() {
    Object data = Map.of("id", 42, "tags", List.of("a", "b"), "blob", new byte[Math.max(0, payloadBytes - 30)]);
    byte[] packed = MsgPack.pack(data);
    seed = FrameCodec.encode(Ulids.next(), "orders.eu", "order.created", Ulids.next(), packed, WireOrder.SEED).rawBytes();
    legacy = FrameCodec.encode(Ulids.next(), "orders.eu", "order.created", null, packed, WireOrder.LEGACY).rawBytes();
  }

  @Benchmark
  public Frame decodeSeed() throws ProtocolException {
    return FrameCodec.decode(seed);
  }

  @Benchmark
  public Frame decodeLegacy() throws ProtocolException {
    return FrameCodec.decode(legacy);
  }

  /** Decode plus rewrite in the other order: what a mixed-order delivery costs. */
  @Benchmark
  public byte[] decodeAndReorder() throws ProtocolException {
    return FrameCodec.decode(seed).bytes(WireOrder.LEGACY);
  }
}
