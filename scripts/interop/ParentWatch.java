import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * Runs another main class (Kafka, Kafka Connect, Kafka's storage tool) and stops the JVM when its
 * standard input reaches end of file. The Node process that started the JVM holds the only write
 * end of that pipe; when it dies in any way, SIGKILL included, the kernel closes it, and the JVM
 * exits as on SIGTERM: shutdown hooks run (Kafka's controlled shutdown), then a timer halts a
 * hook that hangs. A JVM cannot preload lib/exit-with-parent.ts, and polling the parent pid from
 * Java would need a native call; the pipe needs neither.
 */
public final class ParentWatch {
  private ParentWatch() {}

  public static void main(String[] args) throws Throwable {
    if (args.length == 0) {
      System.err.println("usage: ParentWatch <main class> [args...]");
      System.exit(2);
    }
    long graceMs = Long.getLong("parentwatch.graceMs", 10_000L);
    Thread watch = new Thread(() -> {
      try {
        InputStream in = System.in;
        byte[] buffer = new byte[256];
        while (in.read(buffer) >= 0) {
          // Nothing is ever written; reading only waits for the end of the pipe.
        }
      } catch (IOException e) {
        // A broken pipe is the same news as end of file.
      }
      System.err.println("ParentWatch: the parent process is gone; stopping");
      Thread halt = new Thread(() -> {
        try {
          Thread.sleep(graceMs);
        } catch (InterruptedException e) {
          return;
        }
        Runtime.getRuntime().halt(137);
      }, "parent-watch-halt");
      halt.setDaemon(true);
      halt.start();
      System.exit(143);
    }, "parent-watch");
    watch.setDaemon(true);
    watch.start();
    try {
      Class.forName(args[0])
          .getMethod("main", String[].class)
          .invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
