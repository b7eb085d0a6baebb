<?php

declare(strict_types=1);

namespace Plasm\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Plasm\Client;
use Plasm\Exception\ApiException;
use Plasm\Exception\TransportException;
use Plasm\Tests\Paths;
use Plasm\Tests\ScriptedServer;
use Plasm\Transport\RemoteTransport;

/**
 * The HTTP client's behaviour against a scripted server: what it sends, and how it retries. The
 * integration tests run the same client against a real daemon.
 */
final class RemoteTransportTests extends TestCase
{
    private ?ScriptedServer $server = null;

    protected function tearDown(): void
    {
        $this->server?->stop();
    }

    private static function job(string $state = 'queued'): array
    {
        return ['status' => 202, 'body' => json_encode(['id' => '01a2416855cc-02dbdb517541dd0b', 'state' => $state])];
    }

    private static function error(int $status, string $code, ?string $field = null, array $headers = []): array
    {
        return ['status' => $status, 'headers' => $headers,
            'body' => json_encode(['error' => ['code' => $code, 'message' => "a $code", 'field' => $field]])];
    }

    private function client(array $script, array $options = []): Client
    {
        $this->server = new ScriptedServer($script);
        return new Client(['daemon_url' => $this->server->url, 'token' => 'tok', 'retry_delay' => 0.01] + $options);
    }

    public function testUploadsAModuleOnlyWhenTheDaemonLacksItsHash(): void
    {
        $client = $this->client([
            ['status' => 404],
            ['status' => 201, 'body' => '{"sha256": "x", "bytes": 1}'],
            self::job(),
            self::job(),
        ]);
        $m = $client->createJob(Paths::hello());
        $m->submit();
        $m->withArgs(['again'])->submit();
        $r = $this->server->requests();
        self::assertSame(['HEAD', 'POST', 'POST', 'POST'], array_column($r, 'method'));
        self::assertSame('/v1/modules/' . $m->moduleSha256(), $r[0]['uri']);
        self::assertSame('/v1/modules', $r[1]['uri']);
        self::assertSame('application/wasm', $r[1]['headers']['Content-Type']);
        self::assertSame(file_get_contents(Paths::hello()), $r[1]['body']);
        self::assertSame(['/v1/jobs', '/v1/jobs'], [$r[2]['uri'], $r[3]['uri']]);
        foreach ($r as $req) {
            self::assertSame('Bearer tok', $req['headers']['Authorization']);
            self::assertArrayNotHasKey('Expect', $req['headers']);
        }
        $body = json_decode($r[3]['body'], true);
        self::assertSame($m->moduleSha256(), $body['module']);
        self::assertSame(['again'], $body['args']);
    }

    public function testUploadsAgainWhenTheDaemonLostTheModule(): void
    {
        $client = $this->client([
            ['status' => 200],
            self::error(404, 'not-found', 'module'),
            ['status' => 404],
            ['status' => 201, 'body' => '{"sha256": "x", "bytes": 1}'],
            self::job(),
        ]);
        $job = $client->createJob(Paths::hello())->submit();
        self::assertSame('01a2416855cc-02dbdb517541dd0b', $job->id());
        self::assertSame(['HEAD', 'POST', 'HEAD', 'POST', 'POST'], array_column($this->server->requests(), 'method'));
    }

    public function testRetriesAFullQueueWithTheSameIdempotencyKey(): void
    {
        $client = $this->client([
            ['status' => 200],
            self::error(429, 'queue-full', null, ['Retry-After' => '0']),
            self::error(503, 'unavailable'),
            self::job(),
        ]);
        $client->createJob(Paths::hello())->submit();
        $posts = array_slice($this->server->requests(), 1);
        self::assertCount(3, $posts);
        $keys = array_map(static fn ($p) => json_decode($p['body'], true)['idempotencyKey'], $posts);
        self::assertMatchesRegularExpression('/\Aphp-[0-9a-f]{32}\z/', $keys[0]);
        self::assertSame([$keys[0], $keys[0], $keys[0]], $keys);
        self::assertSame($posts[0]['body'], $posts[2]['body']);
    }

    public function testGivesUpAfterTheRetriesWithTheDaemonsError(): void
    {
        $client = $this->client([
            ['status' => 200],
            self::error(429, 'queue-full', null, ['Retry-After' => '0']),
            self::error(429, 'queue-full', null, ['Retry-After' => '0']),
            self::error(429, 'queue-full', null, ['Retry-After' => '0']),
        ], ['retries' => 2]);
        try {
            $client->createJob(Paths::hello())->submit();
            self::fail('submitted to a full queue');
        } catch (ApiException $e) {
            self::assertSame('queue-full', $e->errorCode());
            self::assertSame(429, $e->httpStatus());
            self::assertSame(0, $e->retryAfter());
            $expected = 'submitting the job: a queue-full (HTTP 429 queue-full)';
            self::assertStringContainsString($expected, $e->getMessage());
        }
        self::assertCount(4, $this->server->requests());
    }

    public function testRetryAfterIsHonoured(): void
    {
        $full = self::error(429, 'queue-full', null, ['Retry-After' => '1']);
        $client = $this->client([['status' => 200], $full, self::job()]);
        $start = microtime(true);
        $client->createJob(Paths::hello())->submit();
        self::assertGreaterThanOrEqual(1.0, microtime(true) - $start);
    }

    public function testAnApiErrorCarriesTheCodeAndField(): void
    {
        $client = $this->client([['status' => 200], self::error(400, 'invalid-value', 'limits.timeoutMillis')]);
        try {
            $client->createJob(Paths::hello())->withTimeout(3600)->submit();
            self::fail('no error');
        } catch (ApiException $e) {
            self::assertSame('invalid-value', $e->errorCode());
            self::assertSame('limits.timeoutMillis', $e->field());
            self::assertSame(400, $e->httpStatus());
        }
        self::assertCount(2, $this->server->requests(), 'a 400 is not retried');
    }

    public function testAnAnswerThatIsNotTheApiIsATransportError(): void
    {
        $client = $this->client([['status' => 502, 'body' => '<html>Bad Gateway</html>']]);
        $this->expectException(TransportException::class);
        $this->expectExceptionMessage('HTTP 502 without an API error: <html>Bad Gateway</html>');
        $client->job('01a2416855cc-02dbdb517541dd0b');
    }

    public function testATimeoutIsRetriedThenReported(): void
    {
        $slow = ['status' => 200, 'sleep' => 2];
        $client = $this->client([$slow, $slow], ['timeout' => 0.3, 'retries' => 1]);
        $start = microtime(true);
        try {
            $client->transport()->status('01a2416855cc-02dbdb517541dd0b');
            self::fail('no timeout');
        } catch (TransportException $e) {
            self::assertStringContainsString('timed out', $e->getMessage());
            self::assertStringContainsString('(2 attempts)', $e->getMessage());
        }
        self::assertLessThan(1.9, microtime(true) - $start);
    }

    public function testNoDaemonAtTheAddressIsATransportErrorAfterTheRetries(): void
    {
        $port = ScriptedServer::freePort();
        $url = "http://127.0.0.1:$port";
        $client = new Client(['daemon_url' => $url, 'token' => 't', 'retries' => 2, 'retry_delay' => 0.01]);
        try {
            $client->createJob(Paths::hello())->submit();
            self::fail('submitted to nobody');
        } catch (TransportException $e) {
            self::assertStringContainsString("cannot reach the Plasm daemon at $url", $e->getMessage());
            self::assertStringContainsString('(3 attempts); is `plasm daemon` running', $e->getMessage());
            self::assertSame(CURLE_COULDNT_CONNECT, $e->getCode());
        }
    }

    public function testOutputIsReadByOffset(): void
    {
        $headers = ['X-Plasm-Next-Offset' => '12', 'X-Plasm-Output-Complete' => 'false'];
        $client = $this->client([['status' => 200, 'body' => 'lo, world', 'headers' => $headers]]);
        $out = $client->transport()->output('01a2416855cc-02dbdb517541dd0b', 'stdout', 3);
        self::assertSame('lo, world', $out->bytes);
        self::assertSame(12, $out->nextOffset);
        self::assertFalse($out->complete);
        self::assertSame('/v1/jobs/01a2416855cc-02dbdb517541dd0b/stdout?offset=3', $this->server->requests()[0]['uri']);
    }

    public function testBadOptionsAreRefused(): void
    {
        $bad = [
            ['ftp://x', []],
            ['http://127.0.0.1:1/path', []],
            ['http://127.0.0.1:1', ['retries' => -1]],
            ['http://127.0.0.1:1', ['timeout' => 'soon']],
        ];
        foreach ($bad as [$url, $options]) {
            try {
                new RemoteTransport($url, null, $options);
                self::fail("accepted $url " . json_encode($options));
            } catch (\Plasm\Exception\InvalidArgumentException $e) {
                self::assertNotSame('', $e->field());
            }
        }
    }
}
