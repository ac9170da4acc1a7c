package io.wsmsg.protocol;

/**
 * One wsmsg message as it travelled on the wire: the original frame bytes plus the decoded
 * header. {@code data} is never decoded; its bytes are located by offset and copied as they
 * are. A frame can be written in either {@link WireOrder}: when the order differs from the
 * one it arrived in, only the four header elements are rearranged.
 *
 * <p>Immutable once built; safe to share between event loops.
 */
public final class Frame {
  final byte[] bytes;
  final WireOrder order;
  // [start, end) of each header element's encoding inside bytes, and where data starts
  final int uidStart, uidEnd, channelStart, channelEnd, subjectStart, subjectEnd, refStart, refEnd;
  final int dataStart;
  private final byte[] uid;
  private final String channel;
  private final String subject;
  private final byte[] reference;
  /** The same message in the other order, built on first need. */
  private volatile byte[] otherOrder;
  /**
   * How many queues and in-flight tables of this node hold the frame (see
   * {@code MemoryBudget}): its bytes are charged to the node's budget once, while any holds it.
   */
  private volatile int holders;
  private static final java.util.concurrent.atomic.AtomicIntegerFieldUpdater<Frame> HOLDERS =
      java.util.concurrent.atomic.AtomicIntegerFieldUpdater.newUpdater(Frame.class, "holders");

  Frame(byte[] bytes, WireOrder order, int uidStart, int uidEnd, int channelStart, int channelEnd,
      int subjectStart, int subjectEnd, int refStart, int refEnd, int dataStart, byte[] uid,
      String channel, String subject, byte[] reference) {
    this.bytes = bytes;
    this.order = order;
    this.uidStart = uidStart;
    this.uidEnd = uidEnd;
    this.channelStart = channelStart;
    this.channelEnd = channelEnd;
    this.subjectStart = subjectStart;
    this.subjectEnd = subjectEnd;
    this.refStart = refStart;
    this.refEnd = refEnd;
    this.dataStart = dataStart;
    this.uid = uid;
    this.channel = channel;
    this.subject = subject;
    this.reference = reference;
  }

  public byte[] uid() {
    return uid;
  }

  public String channel() {
    return channel;
  }

  public String subject() {
    return subject;
  }

  /** The referenced uid, or null for nil. */
  public byte[] reference() {
    return reference;
  }

  public WireOrder order() {
    return order;
  }

  /** Size of the frame as received. */
  public int size() {
    return bytes.length;
  }

  /** One more holder; true when it is the first (the frame's bytes are now held in memory). */
  public boolean hold() {
    return HOLDERS.getAndIncrement(this) == 0;
  }

  /** One holder fewer; true when it was the last. A release without a hold changes nothing. */
  public boolean release() {
    while (true) {
      int n = holders;
      if (n <= 0) return false;
      if (HOLDERS.compareAndSet(this, n, n - 1)) return n == 1;
    }
  }

  public int dataOffset() {
    return dataStart;
  }

  public int dataLength() {
    return bytes.length - dataStart;
  }

  /** A copy of the raw msgpack bytes of {@code data}. */
  public byte[] dataBytes() {
    return java.util.Arrays.copyOfRange(bytes, dataStart, bytes.length);
  }

  /** The frame bytes as received. Callers must not modify the array. */
  public byte[] rawBytes() {
    return bytes;
  }

  /**
   * The frame in the given order. The same order returns the received bytes themselves (no
   * copy); the other order is built once, by moving header elements, and then reused.
   */
  public byte[] bytes(WireOrder wanted) {
    if (wanted == order) return bytes;
    byte[] other = otherOrder;
    if (other == null) {
      other = reorder(wanted);
      otherOrder = other;
    }
    return other;
  }

  private byte[] reorder(WireOrder wanted) {
    byte[] out = new byte[1 + bytes.length - dataStart + (uidEnd - uidStart) + (channelEnd - channelStart)
        + (subjectEnd - subjectStart) + (refEnd - refStart)];
    int p = 0;
    out[p++] = (byte) 0x95;
    p = copy(uidStart, uidEnd, out, p);
    if (wanted == WireOrder.SEED) {
      p = copy(channelStart, channelEnd, out, p);
      p = copy(subjectStart, subjectEnd, out, p);
      p = copy(refStart, refEnd, out, p);
    } else {
      p = copy(refStart, refEnd, out, p);
      p = copy(channelStart, channelEnd, out, p);
      p = copy(subjectStart, subjectEnd, out, p);
    }
    copy(dataStart, bytes.length, out, p);
    return out;
  }

  private int copy(int from, int to, byte[] out, int p) {
    System.arraycopy(bytes, from, out, p, to - from);
    return p + (to - from);
  }

  @Override
  public String toString() {
    return "Frame(uid=" + Ulids.toText(uid) + ", channel=" + channel + ", subject=" + subject
        + ", reference=" + Ulids.toText(reference) + ", data=" + dataLength() + " bytes)";
  }
}
