package io.wsmsg.cli;

/** Ends a client command: {@code sentence} goes to stderr after the command's name, {@code code} is the exit code. */
final class CliFailure extends RuntimeException {
  final int code;

  CliFailure(int code, String sentence) {
    super(sentence, null, false, false);
    this.code = code;
  }
}
