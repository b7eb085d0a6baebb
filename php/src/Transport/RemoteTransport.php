<?php

declare(strict_types=1);

namespace Plasm\Transport;

use Plasm\Exception\ApiException;
use Plasm\Exception\InvalidArgumentException;
use Plasm\Exception\TransportException;
use Plasm\Manifest;

/**
 * Speaks a Plasm daemon's HTTP API (docs/http-api.md) over ext-curl, with its bearer token.
 *
 * - A module is uploaded only when the daemon does not have its hash (HEAD /v1/modules/SHA256,
 *   remembered per transport); a daemon that lost it gets it again.
 * - Every job is submitted with an idempotency key (the caller's, or a random one), so a retry after a
 *   lost connection returns the same job instead of starting a second one.
 * - Connection failures, 429 (queue full) and 503 are retried a bounded number of times with
 *   exponential backoff and jitter, honouring Retry-After; then the error is thrown.
 * - The connection is kept open between requests (one curl handle).
 */
final class RemoteTransport implements Transport
{
    /** Longest single long-poll; longer waits are several polls, so no proxy or server limit cuts one. */
    public const MAX_POLL_SECONDS = 30.0;

    /** Curl errors after which the request may not have reached the daemon, or its answer was lost. */
    private const RETRYABLE_CURL = [CURLE_COULDNT_CONNECT, CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR,
        CURLE_OPERATION_TIMEDOUT];

    private readonly string $url;
    private readonly float $timeout;
    private readonly float $connectTimeout;
    private readonly int $retries;
    private readonly float $retryDelay;
    private readonly float $maxRetryDelay;
    private ?\CurlHandle $curl = null;
    /** @var array<string, true> module hashes the daemon is known to hold */
    private array $stored = [];

    /**
     * @param string $url the daemon's base URL, e.g. http://127.0.0.1:8080
     * @param ?string $token the bearer token (the file `token` in the daemon's state directory)
     * @param array{timeout?: float, connect_timeout?: float, retries?: int, retry_delay?: float,
     *     max_retry_delay?: float} $options seconds; retries after the first attempt
     */
    public function __construct(string $url, private readonly ?string $token, array $options = [])
    {
        if (preg_match('#\Ahttps?://[^/?\#]+\z#', rtrim($url, '/')) !== 1) {
            throw new InvalidArgumentException('daemon_url', "'$url' is not an http(s)://HOST:PORT URL");
        }
        $this->url = rtrim($url, '/');
        $this->timeout = self::seconds($options, 'timeout', 30.0);
        $this->connectTimeout = self::seconds($options, 'connect_timeout', 5.0);
        $this->retryDelay = self::seconds($options, 'retry_delay', 0.2);
        $this->maxRetryDelay = self::seconds($options, 'max_retry_delay', 5.0);
        $retries = $options['retries'] ?? 3;
        if (!is_int($retries) || $retries < 0 || $retries > 20) {
            throw new InvalidArgumentException('retries', 'must be an integer from 0 to 20');
        }
        $this->retries = $retries;
    }

    public function url(): string
    {
        return $this->url;
    }

    public function submit(Manifest $manifest, float $wait = 0.0): JobSnapshot
    {
        $manifest = $manifest->withDefaultIdempotencyKey();
        $sha = $manifest->moduleSha256();
        if (!isset($this->stored[$sha])) {
            $this->upload($manifest);
        }
        $path = '/v1/jobs' . ($wait > 0 ? '?wait=' . self::duration($wait) : '');
        $response = $this->send('POST', $path, $manifest->json(), 'application/json', $wait, 'submitting the job');
        if ($response->status === 404 && (json_decode($response->body, true)['error']['field'] ?? null) === 'module') {
            // The daemon no longer has the module (e.g. it restarted with another state directory).
            unset($this->stored[$sha]);
            $this->upload($manifest);
            $response = $this->send('POST', $path, $manifest->json(), 'application/json', $wait, 'submitting the job');
        }
        return new JobSnapshot($response->json());
    }

    public function status(string $jobId): JobSnapshot
    {
        return new JobSnapshot($this->send('GET', self::job($jobId), null, null, 0, "reading job $jobId")->json());
    }

    public function wait(string $jobId, float $timeout): JobSnapshot
    {
        $timeout = max(0.0, min($timeout, self::MAX_POLL_SECONDS));
        $path = self::job($jobId) . '/wait?timeout=' . self::duration($timeout);
        return new JobSnapshot($this->send('GET', $path, null, null, $timeout, "waiting for job $jobId")->json());
    }

    public function output(string $jobId, string $stream, int $offset): Output
    {
        if ($stream !== 'stdout' && $stream !== 'stderr') {
            throw new InvalidArgumentException('stream', "'$stream' is not stdout or stderr");
        }
        $path = self::job($jobId) . "/$stream?offset=$offset";
        $r = $this->send('GET', $path, null, null, 0, "reading the $stream of job $jobId");
        $r->throwIfError();
        $next = $r->header('x-plasm-next-offset');
        return new Output(
            $r->body,
            $next !== null && ctype_digit($next) ? (int) $next : $offset + strlen($r->body),
            $r->header('x-plasm-output-complete') === 'true'
        );
    }

    public function receipt(string $jobId): string
    {
        $r = $this->send('GET', self::job($jobId) . '/receipt', null, null, 0, "reading the receipt of job $jobId");
        $r->throwIfError();
        return $r->body;
    }

    public function cancel(string $jobId): JobSnapshot
    {
        $r = $this->send('POST', self::job($jobId) . '/cancel', '', 'application/json', 0, "cancelling job $jobId");
        if ($r->status === 409 && (json_decode($r->body, true)['error']['code'] ?? null) === 'already-ended') {
            return $this->status($jobId);
        }
        return new JobSnapshot($r->json());
    }

    /**
     * GET /v1/node: the daemon's version, peer id (the signer of its receipts), engines, limits, queue.
     *
     * @return array<string, mixed>
     */
    public function node(): array
    {
        return $this->send('GET', '/v1/node', null, null, 0, 'reading the node')->json();
    }

    private function upload(Manifest $manifest): void
    {
        $sha = $manifest->moduleSha256();
        $head = $this->send('HEAD', "/v1/modules/$sha", null, null, 0, "looking up module $sha");
        if ($head->status === 404) {
            $this->send('POST', '/v1/modules', $manifest->module(), 'application/wasm', 0, 'uploading the module')
                ->json();
        } elseif ($head->status !== 200) {
            // HEAD has no body to explain itself; GET names the problem (a bad token, a bad host).
            $this->send('GET', "/v1/modules/$sha", null, null, 0, "looking up module $sha")->throwIfError();
        }
        $this->stored[$sha] = true;
    }

    /** One request, retried on connection loss, 429 and 503 with backoff. */
    private function send(
        string $method,
        string $path,
        ?string $body,
        ?string $type,
        float $extra,
        string $what
    ): HttpResponse {
        $headers = ['Accept: application/json', 'Expect:', 'User-Agent: plasm-php/' . \Plasm\Client::VERSION];
        if ($this->token !== null) {
            $headers[] = 'Authorization: Bearer ' . $this->token;
        }
        if ($type !== null) {
            $headers[] = "Content-Type: $type";
        }
        $options = [
            CURLOPT_URL => $this->url . $path,
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_CONNECTTIMEOUT_MS => (int) ceil($this->connectTimeout * 1000),
            CURLOPT_TIMEOUT_MS => (int) ceil(($this->timeout + $extra) * 1000),
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
            CURLOPT_NOBODY => $method === 'HEAD',
        ];
        if ($body !== null) {
            $options[CURLOPT_POSTFIELDS] = $body;
        }
        for ($attempt = 1;; $attempt++) {
            try {
                $r = $this->once($options, $what);
            } catch (RetryableFailure $e) {
                if ($attempt > $this->retries) {
                    $tries = $attempt === 1 ? '1 attempt' : "$attempt attempts";
                    throw new TransportException("$what: {$e->getMessage()} ($tries); is `plasm daemon` running"
                        . " and listening at {$this->url}?", $e->getCode(), $e);
                }
                $this->pause($attempt, null);
                continue;
            }
            if (($r->status === 429 || $r->status === 503) && $attempt <= $this->retries) {
                $after = $r->header('retry-after');
                $this->pause($attempt, $after !== null && ctype_digit($after) ? (float) $after : null);
                continue;
            }
            return $r;
        }
    }

    /** @param array<int, mixed> $options curl options of the request */
    private function once(array $options, string $what): HttpResponse
    {
        if ($this->curl === null) {
            $this->curl = curl_init();
        } else {
            curl_reset($this->curl);
        }
        $headers = [];
        $options[CURLOPT_HEADERFUNCTION] = static function ($ch, string $line) use (&$headers): int {
            $colon = strpos($line, ':');
            if ($colon !== false) {
                $headers[strtolower(trim(substr($line, 0, $colon)))] = trim(substr($line, $colon + 1));
            }
            return strlen($line);
        };
        curl_setopt_array($this->curl, $options);
        $out = curl_exec($this->curl);
        if ($out === false) {
            $errno = curl_errno($this->curl);
            $message = curl_error($this->curl);
            // Every request is safe to repeat: reads, content-addressed uploads, submissions carrying an
            // idempotency key, and cancels (a repeated one finds the job ended).
            if (in_array($errno, self::RETRYABLE_CURL, true)) {
                throw new RetryableFailure("cannot reach the Plasm daemon at {$this->url}: $message", $errno);
            }
            throw new TransportException(
                "$what: the request to {$this->url} failed: $message (curl error $errno)",
                $errno
            );
        }
        $status = (int) curl_getinfo($this->curl, CURLINFO_RESPONSE_CODE);
        return new HttpResponse($status, $headers, (string) $out, $what);
    }

    private function pause(int $attempt, ?float $retryAfter): void
    {
        $backoff = min($this->maxRetryDelay, $this->retryDelay * (2 ** ($attempt - 1)));
        $backoff *= 0.75 + mt_rand() / mt_getrandmax() * 0.5; // jitter: clients retrying together spread out
        $delay = $retryAfter !== null ? max($backoff, min($retryAfter, 60.0)) : $backoff;
        usleep((int) ($delay * 1e6));
    }

    private static function job(string $jobId): string
    {
        return '/v1/jobs/' . rawurlencode($jobId);
    }

    private static function duration(float $seconds): string
    {
        return max(0, (int) ceil($seconds * 1000)) . 'ms';
    }

    /** @param array<string, mixed> $options */
    private static function seconds(array $options, string $name, float $default): float
    {
        $v = $options[$name] ?? $default;
        if ((!is_int($v) && !is_float($v)) || $v < 0) {
            throw new InvalidArgumentException($name, 'must be a number of seconds, at least 0');
        }
        return (float) $v;
    }
}
