package dev.runnel.samples.cqrs.http;

/**
 * Every error answer's JSON: {@code {"error": NAME, "message": "..."}}, NAME stable for clients to switch on.
 */
record ErrorBody(String error, String message) {

  static final String INVALID_REQUEST = "INVALID_REQUEST";
  static final String CONCURRENCY_CONFLICT = "CONCURRENCY_CONFLICT";
  static final String NOT_FOUND = "NOT_FOUND";
  static final String REBUILD_IN_PROGRESS = "REBUILD_IN_PROGRESS";
  static final String UNAVAILABLE = "UNAVAILABLE";
}
