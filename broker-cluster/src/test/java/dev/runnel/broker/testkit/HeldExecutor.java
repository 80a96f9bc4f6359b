package dev.runnel.broker.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * An executor that holds the tasks it is given until a test releases them, so a test can observe a node while
 * background work is under way. Released tasks, and tasks given after the release, run on a fresh thread.
 * Thread-safe.
 */
public final class HeldExecutor implements Executor {

  private final List<Runnable> held = new ArrayList<>();
  private boolean released;

  @Override
  public synchronized void execute(Runnable task) {
    if (released) {
      new Thread(task, "held-executor").start();
    } else {
      held.add(task);
    }
  }

  public synchronized int heldTasks() {
    return held.size();
  }

  public synchronized void release() {
    released = true;
    for (Runnable task : held) {
      new Thread(task, "held-executor").start();
    }
    held.clear();
  }
}
