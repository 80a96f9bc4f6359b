package dev.runnel.broker.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Apache Kafka 4.3.1's own programs (the Connect worker, {@code kafka-configs.sh}'s {@code ConfigCommand}), run as
 * child JVMs on the classpath that {@code deploy/kafka-dist} copies from Maven Central: Kafka's kafka-clients 4.3.1
 * and its other jars, none of the broker's, as a user runs them from Kafka's {@code libs/}.
 */
public final class KafkaPrograms {

  private KafkaPrograms() {}

  /** What a program that ran to its end printed, and its exit code. */
  public record Result(int exitCode, String output) {}

  /** {@code deploy/kafka-dist/target/lib}, seen from a module's directory, where Surefire runs. */
  public static Path lib() {
    Path lib = Path.of("..", "deploy", "kafka-dist", "target", "lib").toAbsolutePath().normalize();
    if (!Files.isDirectory(lib)) {
      throw new IllegalStateException(lib + " is missing: build with the reactor (-am), which copies Kafka's jars"
          + " there in deploy/kafka-dist's generate-resources phase");
    }
    return lib;
  }

  /** The command line that runs {@code mainClass} on Kafka's classpath. */
  public static List<String> command(List<String> jvmOptions, String mainClass, List<String> arguments) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    // The JVM expands a classpath entry ending in "*" to the directory's jars, as Kafka's scripts rely on.
    command.addAll(List.of("-cp", lib().resolve("*").toString(), mainClass));
    command.addAll(arguments);
    return command;
  }

  /** Runs {@code mainClass} to its end, with its stdout and stderr together, and fails if it outlives the timeout. */
  public static Result run(Duration timeout, String mainClass, String... arguments)
      throws IOException, InterruptedException {
    Path output = Files.createTempFile(Path.of("target"), "kafka-program-", ".out");
    Process process = new ProcessBuilder(command(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"), mainClass,
        List.of(arguments)))
        .redirectErrorStream(true)
        .redirectOutput(output.toFile())
        .start();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
      throw new IllegalStateException(mainClass + " did not end within " + timeout + "; it printed:\n"
          + Files.readString(output, StandardCharsets.UTF_8));
    }
    Result result = new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    Files.delete(output);
    return result;
  }
}
