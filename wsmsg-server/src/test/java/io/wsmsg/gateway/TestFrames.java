package io.wsmsg.gateway;

import io.wsmsg.protocol.Frame;
import io.wsmsg.protocol.FrameCodec;
import io.wsmsg.protocol.MsgPack;
import io.wsmsg.protocol.Ulids;
import io.wsmsg.protocol.WireOrder;

/** Frames and queued messages for the gateway's unit tests: the subject names the message. */
final class TestFrames {
  private TestFrames() {}

  static Frame frame(String subject) {
    return FrameCodec.encode(Ulids.next(), "orders", subject, null, MsgPack.pack("payload"), WireOrder.values()[0]);
  }

  static Queued queued(String subject, int priority, long enqueuedAt) {
    return new Queued(frame(subject), priority, enqueuedAt);
  }

  static Queued queued(String subject, int priority) {
    return queued(subject, priority, System.currentTimeMillis());
  }
}
