<?php

declare(strict_types=1);

namespace Plasm\Transport;

use Plasm\Exception\ApiException;
use Plasm\Exception\TransportException;

/**
 * One HTTP response from the daemon: status, headers (lower-case names) and body.
 *
 * @internal
 */
final class HttpResponse
{
    /** @param array<string, string> $headers */
    public function __construct(
        public readonly int $status,
        public readonly array $headers,
        public readonly string $body,
        private readonly string $what
    ) {
    }

    public function header(string $name): ?string
    {
        return $this->headers[strtolower($name)] ?? null;
    }

    /**
     * The body as a JSON object, after turning an error status into ApiException.
     *
     * @return array<string, mixed>
     */
    public function json(): array
    {
        $this->throwIfError();
        try {
            $v = json_decode($this->body, true, 64, JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw new TransportException("{$this->what}: the daemon's answer is not JSON: " . $e->getMessage(), 0, $e);
        }
        if (!is_array($v)) {
            throw new TransportException("{$this->what}: the daemon's answer is not a JSON object");
        }
        return $v;
    }

    /** Turns a 4xx/5xx answer into ApiException with the daemon's code, field and message. */
    public function throwIfError(): void
    {
        if ($this->status < 400) {
            return;
        }
        $e = json_decode($this->body, true);
        $err = is_array($e) && is_array($e['error'] ?? null) ? $e['error'] : null;
        if ($err === null || !is_string($err['code'] ?? null)) {
            $text = trim(substr($this->body, 0, 200));
            throw new TransportException("{$this->what}: HTTP {$this->status} without an API error"
                . ($text === '' ? '' : ": $text"));
        }
        $retry = $this->header('retry-after');
        throw new ApiException(
            "{$this->what}: " . ($err['message'] ?? $err['code']) . " (HTTP {$this->status} {$err['code']})",
            $err['code'],
            is_string($err['field'] ?? null) ? $err['field'] : null,
            $this->status,
            $retry !== null && ctype_digit($retry) ? (int) $retry : null
        );
    }
}
