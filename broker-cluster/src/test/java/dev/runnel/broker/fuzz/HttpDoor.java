package dev.runnel.broker.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

/**
 * The HTTP door: random methods, paths, query parameters, headers and JSON bodies (valid bodies of each route,
 * mutated), sent as raw bytes on a fresh connection each, so malformed request lines and headers reach the server
 * too. A case is answered when a status line comes back; a status of 500 or more is a failure, as is no status
 * line and no close within the hang bound. Generation depends only on the {@link Random} it is given.
 */
final class HttpDoor {

  /** Longer than every wait a request may legally ask for ({@code max-read-wait} 10 s), shorter than a hang. */
  static final int HANG_BOUND_MS = 25_000;

  private static final List<String> METHODS = List.of("GET", "GET", "GET", "POST", "POST", "POST", "PUT", "DELETE",
      "PATCH", "HEAD", "OPTIONS", "FOO", "PROPFIND", "get", "TRACE", "CONNECT", "G\u00e9T", "", "M".repeat(40));
  private static final List<String> VERSIONS = List.of("HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0",
      "HTTP/2.0", "HTTP/9.9", "HTTP/1", "HTTX/1.1", "", "HTTP/1.1 extra");
  private static final List<String> PARAMS = List.of("offset", "limit", "max_bytes", "timeout_ms", "follow",
      "format", "before", "unknown", "");

  private final int port;
  private final List<String> topics;

  /**
   * @param topics the topic names the fuzzer may name in paths and bodies (it may create, alter and delete them);
   *     never the canary
   */
  HttpDoor(int port, List<String> topics) {
    this.port = port;
    this.topics = topics;
  }

  void run(long seed, Random random, long firstIndex, int cases, long deadlineNanos, FuzzStats stats) {
    for (int i = 0; i < cases && System.nanoTime() < deadlineNanos; i++) {
      byte[] request = request(random);
      long index = firstIndex + i;
      stats.cases.incrementAndGet();
      String outcome = send(request);
      if (outcome == null) {
        stats.closed.incrementAndGet();
      } else if (outcome.equals(HANG)) {
        stats.hang(seed, index, firstLine(request));
      } else {
        stats.answered.incrementAndGet();
        if (outcome.length() >= 12 && outcome.charAt(9) == '5') {
          stats.serverError(seed, index, firstLine(request) + " -> " + outcome);
        }
      }
    }
  }

  private static final String HANG = "hang";

  /** The status line of the answer, null when the server closed without one, or {@link #HANG}. */
  private String send(byte[] request) {
    try (Socket socket = new Socket()) {
      // Reset on close: a long run opens one connection per case and must not fill the port range with TIME_WAIT.
      socket.setSoLinger(true, 0);
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(HANG_BOUND_MS);
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      for (int b = in.read(); b != -1 && b != '\n'; b = in.read()) {
        line.write(b);
      }
      String status = line.toString(StandardCharsets.ISO_8859_1).trim();
      return status.startsWith("HTTP/") ? status : null;
    } catch (SocketTimeoutException e) {
      return HANG;
    } catch (IOException e) {
      // Reset by the server while we wrote: it refused the request by closing.
      return null;
    }
  }

  private static String firstLine(byte[] request) {
    String text = new String(request, StandardCharsets.ISO_8859_1);
    int end = text.indexOf('\r');
    return end < 0 ? text : text.substring(0, end) + " (" + request.length + " bytes)";
  }

  byte[] request(Random random) {
    String method = pick(random, METHODS);
    String target = path(random) + query(random);
    String version = pick(random, VERSIONS);
    byte[] body = body(random, target);
    StringBuilder head = new StringBuilder();
    head.append(method).append(' ').append(target).append(' ').append(version).append("\r\n");
    if (random.nextInt(20) != 0) {
      head.append("Host: 127.0.0.1\r\n");
    }
    head.append("Connection: close\r\n");
    headers(random, head);
    if (body.length > 0 || random.nextInt(4) == 0) {
      int declared = body.length;
      // A declared length shorter than the body: the rest is read as the next request, which is garbage.
      if (random.nextInt(15) == 0) {
        declared = random.nextInt(body.length + 1);
      }
      head.append("Content-Length: ").append(declared).append("\r\n");
    }
    head.append("\r\n");
    byte[] start = head.toString().getBytes(StandardCharsets.UTF_8);
    byte[] all = new byte[start.length + body.length];
    System.arraycopy(start, 0, all, 0, start.length);
    System.arraycopy(body, 0, all, start.length, body.length);
    if (random.nextInt(25) == 0) {
      Mutations.flipBits(random, all, 1 + random.nextInt(4));
    }
    return all;
  }

  private String path(Random random) {
    String topic = random.nextInt(5) == 0 ? Mutations.segment(random) : pick(random, topics);
    String partition = random.nextInt(4) == 0 ? Mutations.number(random) : String.valueOf(random.nextInt(3));
    String group = random.nextInt(4) == 0 ? Mutations.segment(random) : "fuzz-group";
    switch (random.nextInt(14)) {
      case 0: return "/health";
      case 1: return "/topics";
      case 2: return "/topics/" + topic;
      case 3: return "/topics/" + topic + "/partitions";
      case 4: return "/topics/" + topic + "/configs";
      case 5: case 6: return "/topics/" + topic + "/records";
      case 7: case 8: return "/topics/" + topic + "/partitions/" + partition + "/records";
      case 9: return "/groups";
      case 10: return "/groups/" + group;
      case 11: return "/groups/" + group + "/offsets/reset";
      case 12: return "/" + Mutations.segment(random) + "/" + Mutations.segment(random);
      default: return random.nextBoolean() ? "*" : "/topics/" + topic + "/" + Mutations.segment(random) + "//";
    }
  }

  private static String query(Random random) {
    int count = random.nextInt(4);
    if (count == 0) {
      return "";
    }
    StringBuilder query = new StringBuilder("?");
    for (int i = 0; i < count; i++) {
      String name = pick(random, PARAMS);
      query.append(i == 0 ? "" : "&").append(name).append('=').append(paramValue(random, name));
    }
    return query.toString();
  }

  private static String paramValue(Random random, String name) {
    switch (name) {
      case "follow":
        // A follow stream never ends: the door reads only its status line and hangs up.
        return random.nextInt(3) == 0 ? Mutations.segment(random) : String.valueOf(random.nextBoolean());
      case "format":
        return random.nextInt(3) == 0 ? Mutations.segment(random) : random.nextBoolean() ? "json" : "binary";
      case "timeout_ms":
        // Mostly short, so a read at the log end does not wait long; sometimes far over the cap.
        return random.nextInt(10) == 0 ? Mutations.number(random) : String.valueOf(random.nextInt(50));
      default:
        return random.nextInt(3) == 0 ? Mutations.segment(random) : Mutations.number(random);
    }
  }

  private static void headers(Random random, StringBuilder head) {
    switch (random.nextInt(8)) {
      case 0: head.append("Accept: application/x-ndjson\r\n"); break;
      case 1: head.append("Content-Type: application/json\r\n"); break;
      case 2: head.append("Content-Type: ").append(Mutations.segment(random)).append("\r\n"); break;
      case 3: head.append("Accept: ").append(Mutations.segment(random)).append("\r\n"); break;
      case 4: head.append("X-Big: ").append("h".repeat(random.nextInt(200_000))).append("\r\n"); break;
      case 5:
        for (int i = 0; i < 200; i++) {
          head.append("X-Many-").append(i).append(": v\r\n");
        }
        break;
      case 6: head.append("Transfer-Encoding: ").append(random.nextBoolean() ? "gzip" : "chunked, x").append("\r\n");
        break;
      default: head.append(Mutations.segment(random)).append("\r\n"); break;
    }
  }

  private byte[] body(Random random, String target) {
    if (random.nextInt(3) == 0) {
      return new byte[0];
    }
    String valid = validBody(random, target);
    return Mutations.json(random, valid);
  }

  private String validBody(Random random, String target) {
    String topic = pick(random, topics);
    if (target.contains("/offsets/reset")) {
      String[] to = {"earliest", "latest", "offset", "timestamp"};
      return "{\"topic\": \"" + topic + "\", \"to\": \"" + to[random.nextInt(4)] + "\", \"offset\": "
          + random.nextInt(10) + ", \"timestamp\": " + (random.nextInt(5) - 3) + "}";
    }
    if (target.endsWith("/configs")) {
      return "{\"configs\": {\"retention.ms\": \"" + (random.nextInt(100_000) + 60_000)
          + "\", \"cleanup.policy\": \"delete\"}}";
    }
    if (target.endsWith("/partitions")) {
      return "{\"partitions\": " + (1 + random.nextInt(4)) + "}";
    }
    if (target.endsWith("/records")) {
      StringBuilder records = new StringBuilder("{\"records\": [");
      int count = 1 + random.nextInt(5);
      for (int i = 0; i < count; i++) {
        records.append(i == 0 ? "" : ", ").append("{\"key\": \"k").append(i).append("\", \"value\": {\"n\": ")
            .append(i).append("}, \"partition\": ").append(random.nextInt(2)).append("}");
      }
      return records.append("], \"format\": \"json\"}").toString();
    }
    return "{\"name\": \"" + topic + "\", \"partitions\": " + (1 + random.nextInt(3))
        + ", \"configs\": {\"max.message.bytes\": \"100000\"}}";
  }

  private static <T> T pick(Random random, List<T> values) {
    return values.get(random.nextInt(values.size()));
  }
}
