package dev.runnel.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A progress line on stderr for long produce and consume runs, redrawn in place ({@code \r}) at most every
 * {@link #REDRAW_NANOS}: a bar with a percentage when the total is known, else a count, and the rate. Stdout (the
 * records, the {@code --json} answer) never carries it. {@link #NONE} draws nothing. Not thread-safe: one caller.
 */
class Progress {

  static final Progress NONE = new Progress(null, "", -1, System::nanoTime);

  private static final long REDRAW_NANOS = 200_000_000L;
  private static final int BAR_WIDTH = 30;

  private final PrintWriter err;
  private final String unit;
  private final long total;
  private final LongSupplier clock;
  private final long started;
  private long lastDrawn;
  private long done;
  private int lastLength;

  /** @param total the expected count, or -1 when it is not known */
  Progress(PrintWriter err, String unit, long total, LongSupplier clock) {
    this.err = err;
    this.unit = unit;
    this.total = total;
    this.clock = clock;
    this.started = clock.getAsLong();
    this.lastDrawn = started;
  }

  void advance(long count) {
    done += count;
    if (err == null) {
      return;
    }
    long now = clock.getAsLong();
    if (now - lastDrawn >= REDRAW_NANOS) {
      lastDrawn = now;
      draw(now);
    }
  }

  /** The last state, and the line ended so what follows starts on a line of its own. */
  void finish() {
    if (err == null) {
      return;
    }
    draw(clock.getAsLong());
    err.println();
    err.flush();
  }

  private void draw(long now) {
    double seconds = Math.max(now - started, 1) / 1e9;
    String rate = String.format(Locale.ROOT, "%,.0f %s/s", done / seconds, unit);
    String line;
    if (total > 0) {
      long shown = Math.min(done, total);
      int filled = (int) (BAR_WIDTH * shown / total);
      line = String.format(Locale.ROOT, "[%s%s] %3d%% %,d/%,d %s  %s", "#".repeat(filled),
          "-".repeat(BAR_WIDTH - filled), 100 * shown / total, done, total, unit, rate);
    } else {
      line = String.format(Locale.ROOT, "%,d %s  %s", done, unit, rate);
    }
    // Padded over the previous line rather than erased with an escape, so a log file shows no control codes.
    err.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
    lastLength = line.length();
    err.flush();
  }
}
