<?php

declare(strict_types=1);

namespace Plasm\Exception;

/**
 * The daemon (or the local `plasm` command) refused a request, with its stable error code and the
 * field at fault: `unauthorized`, `invalid-value` on `limits.timeoutMillis`, `queue-full`, ...
 *
 * The codes are those of docs/http-api.md. LocalTransport translates the CLI's refusals to the same
 * codes and fields (`--timeout` becomes `limits.timeoutMillis`), so callers handle one vocabulary.
 */
class ApiException extends \RuntimeException implements PlasmException
{
    /**
     * @param string $errorCode the API's error code, e.g. `invalid-value`
     * @param ?string $field the field, query parameter or header at fault, e.g. `limits.cpus`
     * @param ?int $httpStatus the HTTP status, or null when the local CLI refused
     * @param ?int $retryAfter seconds the daemon asked to wait (429), when it said
     */
    public function __construct(
        string $message,
        private readonly string $errorCode,
        private readonly ?string $field = null,
        private readonly ?int $httpStatus = null,
        private readonly ?int $retryAfter = null,
        ?\Throwable $previous = null
    ) {
        parent::__construct($message, $httpStatus ?? 0, $previous);
    }

    /** The API's error code, e.g. `unknown-field`, `unauthorized`, `queue-full`. */
    public function errorCode(): string
    {
        return $this->errorCode;
    }

    /** The field at fault as a JSON path (`limits.timeoutMillis`), query parameter or header; null when none. */
    public function field(): ?string
    {
        return $this->field;
    }

    /** The HTTP status, or null when the local `plasm` command refused the job. */
    public function httpStatus(): ?int
    {
        return $this->httpStatus;
    }

    /** Seconds the daemon asked the client to wait before trying again (429), when it said. */
    public function retryAfter(): ?int
    {
        return $this->retryAfter;
    }
}
