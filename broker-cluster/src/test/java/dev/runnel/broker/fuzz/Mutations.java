package dev.runnel.broker.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Ways to spoil valid input, shared by the doors: bit flips, truncations, odd numbers and names, broken JSON. */
final class Mutations {

  private static final List<String> NUMBERS = List.of("-1", "-2", "-3", "0", "1", "2147483647", "2147483648",
      "-2147483649", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
      "99999999999999999999999", "1e400", "1.5", "NaN", "0x10", "", " 1", "+1", "-0", "1e3");
  private static final List<String> SEGMENTS = List.of("%00", "%FF", "%2F", "..", ".", "a%20b", "%C3%A9",
      "t".repeat(250), "x".repeat(5000), "__consumer_offsets", "%E0%80%80", "-", "a+b", "%", "%zz", ";", "a?b=c",
      "\u00e9", "null", "true");
  private static final List<String> JSON_VALUES = List.of("null", "true", "-1", "0", "1e400", "9223372036854775808",
      "-9223372036854775809", "\"\"", "\"x\"", "[]", "{}", "[1,2]", "{\"a\":1}", "1.5", "\"\\u0000\"",
      "\"\\ud800\"");

  private Mutations() {}

  static void flipBits(Random random, byte[] bytes, int flips) {
    if (bytes.length == 0) {
      return;
    }
    for (int i = 0; i < flips; i++) {
      int at = random.nextInt(bytes.length);
      bytes[at] ^= (byte) (1 << random.nextInt(8));
    }
  }

  static byte[] truncate(Random random, byte[] bytes) {
    return Arrays.copyOf(bytes, bytes.length == 0 ? 0 : random.nextInt(bytes.length));
  }

  static String number(Random random) {
    return random.nextInt(3) == 0 ? Long.toString(random.nextLong()) : NUMBERS.get(random.nextInt(NUMBERS.size()));
  }

  /** A path segment or header-ish token: escapes, control characters, overlong names, or random text. */
  static String segment(Random random) {
    if (random.nextInt(3) == 0) {
      StringBuilder text = new StringBuilder();
      int length = random.nextInt(12);
      for (int i = 0; i < length; i++) {
        text.append((char) (32 + random.nextInt(95)));
      }
      return text.toString().replace(' ', '_');
    }
    return SEGMENTS.get(random.nextInt(SEGMENTS.size()));
  }

  /** {@code valid} JSON as is, or spoiled one of several ways, as bytes. */
  static byte[] json(Random random, String valid) {
    switch (random.nextInt(12)) {
      case 0:
      case 1:
      case 2:
        return valid.getBytes(StandardCharsets.UTF_8);
      case 3:
        return truncate(random, valid.getBytes(StandardCharsets.UTF_8));
      case 4: {
        // Deep nesting: Jackson's nesting limit (1000) must be a 400, not a stack overflow.
        int depth = 500 + random.nextInt(100_000);
        return ("[".repeat(depth) + "]".repeat(depth)).getBytes(StandardCharsets.UTF_8);
      }
      case 5: {
        // Invalid UTF-8 inside a string.
        byte[] bytes = valid.getBytes(StandardCharsets.UTF_8);
        byte[] spoiled = Arrays.copyOf(bytes, bytes.length);
        int quote = valid.indexOf('"', 2);
        spoiled[Math.max(0, quote)] = (byte) (random.nextBoolean() ? 0xC3 : 0xFF);
        return spoiled;
      }
      case 6: {
        byte[] noise = new byte[random.nextInt(300)];
        random.nextBytes(noise);
        return noise;
      }
      case 7:
        return valid.replace("[", "[" + "{\"value\": " + JSON_VALUES.get(random.nextInt(JSON_VALUES.size())) + "},")
            .getBytes(StandardCharsets.UTF_8);
      case 8: {
        byte[] bytes = valid.getBytes(StandardCharsets.UTF_8);
        flipBits(random, bytes, 1 + random.nextInt(3));
        return bytes;
      }
      case 9:
        return JSON_VALUES.get(random.nextInt(JSON_VALUES.size())).getBytes(StandardCharsets.UTF_8);
      default:
        return replaceValue(random, valid).getBytes(StandardCharsets.UTF_8);
    }
  }

  /** One JSON value after a colon swapped for an odd one: wrong types, huge numbers, nulls. */
  private static String replaceValue(Random random, String valid) {
    int colons = 0;
    for (int i = 0; i < valid.length(); i++) {
      if (valid.charAt(i) == ':') {
        colons++;
      }
    }
    if (colons == 0) {
      return valid;
    }
    int which = random.nextInt(colons);
    int at = -1;
    for (int i = 0; i <= which; i++) {
      at = valid.indexOf(':', at + 1);
    }
    int end = at + 1;
    int depth = 0;
    boolean inString = false;
    for (; end < valid.length(); end++) {
      char c = valid.charAt(end);
      if (inString) {
        if (c == '\\') {
          end++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        if (depth == 0) {
          break;
        }
        depth--;
      } else if (c == ',' && depth == 0) {
        break;
      }
    }
    String odd = random.nextInt(4) == 0 ? number(random)
        : JSON_VALUES.get(random.nextInt(JSON_VALUES.size()));
    return valid.substring(0, at + 1) + " " + (odd.isEmpty() ? "\"\"" : odd) + valid.substring(end);
  }
}
