package dev.plasm.daemon.internal.httpd;

import java.io.IOException;

/**
 * A request the server refuses before (or while) the handler reads it: malformed, too large, or
 * asking for what this server does not do. An {@code IOException} so that body readers can throw it.
 */
public final class HttpError extends IOException {
  private final int status;
  private final String code;
  private final String field;

  public HttpError(int status, String code, String field, String message) {
    super(message, null);
    this.status = status;
    this.code = code;
    this.field = field;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  /** The header (or other part of the request) at fault, or null. */
  public String field() {
    return field;
  }

  static HttpError bad(String field, String message) {
    return new HttpError(400, "bad-request", field, message);
  }
}
