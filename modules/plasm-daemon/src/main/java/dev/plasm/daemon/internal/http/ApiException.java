package dev.plasm.daemon.internal.http;

import java.util.Map;

/** An error answered as {@code {"error": {"code", "message", "field"}}} with an HTTP status. */
public final class ApiException extends RuntimeException {
  private final int status;
  private final String code;
  private final String field;
  private final Map<String, String> headers;

  public ApiException(int status, String code, String field, String message) {
    this(status, code, field, message, Map.of());
  }

  public ApiException(
      int status, String code, String field, String message, Map<String, String> headers) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.field = field;
    this.headers = headers;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public String field() {
    return field;
  }

  public Map<String, String> headers() {
    return headers;
  }

  static ApiException badRequest(String code, String field, String message) {
    return new ApiException(400, code, field, message);
  }

  static ApiException invalid(String field, String message) {
    return new ApiException(400, "invalid-value", field, message);
  }

  static ApiException notFound(String field, String message) {
    return new ApiException(404, "not-found", field, message);
  }
}
