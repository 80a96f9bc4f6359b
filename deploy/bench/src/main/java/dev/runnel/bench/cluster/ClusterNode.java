package dev.runnel.bench.cluster;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A node as {@code deploy/bin/cluster} prints it:
 * {@code node ID kafka=127.0.0.1:PORT http=127.0.0.1:PORT pid=PID schema-registry=127.0.0.1:PORT}.
 */
record ClusterNode(int id, String kafka, String http, long pid, String schemaRegistry) {

  private static final Pattern LINE =
      Pattern.compile("node (\\d+) kafka=(\\S+) http=(\\S+) pid=(\\d+) schema-registry=(\\S+)");

  static ClusterNode parse(String line) {
    Matcher matcher = LINE.matcher(line.strip());
    if (!matcher.matches()) {
      throw new IllegalArgumentException("not a line of deploy/bin/cluster: " + line);
    }
    return new ClusterNode(Integer.parseInt(matcher.group(1)), matcher.group(2), matcher.group(3),
        Long.parseLong(matcher.group(4)), matcher.group(5));
  }
}
