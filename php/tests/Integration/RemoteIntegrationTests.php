<?php

declare(strict_types=1);

namespace Plasm\Tests\Integration;

use Plasm\Client;
use Plasm\Exception\ApiException;
use Plasm\Exception\TransportException;
use Plasm\Tests\Daemon;
use Plasm\Tests\Paths;
use Plasm\Tests\Plasm;

/**
 * The SDK against a real `plasm daemon` on loopback, started from the runtime image.
 */
final class RemoteIntegrationTests extends TransportContract
{
    private static ?Daemon $daemon = null;

    public static function setUpBeforeClass(): void
    {
        self::$daemon = new Daemon();
    }

    public static function tearDownAfterClass(): void
    {
        self::$daemon?->stop();
        self::$daemon = null;
    }

    protected static function client(): Client
    {
        return new Client(['mode' => 'remote', 'daemon_url' => self::$daemon->url, 'token' => self::$daemon->token]);
    }

    protected static function signer(): string
    {
        return self::$daemon->peerId;
    }

    public function testTheClientFindsTheDaemonAndTokenFromItsStateDirectory(): void
    {
        $client = new Client(['plasm_home' => self::$daemon->state]);
        self::assertSame(self::$daemon->peerId, $client->transport()->node()['peerId']);
        $viaConfig = new Client(['config' => self::$daemon->configFile()]);
        self::assertSame("Hello from WebAssembly!\n", $viaConfig->createJob(Paths::hello())->run(60)->stdout());
    }

    public function testARefusedTokenIsAnApiError(): void
    {
        $client = new Client(['daemon_url' => self::$daemon->url, 'token' => 'not-the-token']);
        try {
            $client->createJob(Paths::hello())->submit();
            self::fail('the daemon took a wrong token');
        } catch (ApiException $e) {
            self::assertSame('unauthorized', $e->errorCode());
            self::assertSame(401, $e->httpStatus());
            self::assertSame('Authorization', $e->field());
        }
    }

    public function testADaemonThatIsDownIsATransportError(): void
    {
        $gone = new Daemon();
        $url = $gone->url;
        $client = new Client(['daemon_url' => $url, 'token' => $gone->token, 'retries' => 1, 'retry_delay' => 0.05]);
        self::assertSame("Hello from WebAssembly!\n", $client->createJob(Paths::hello())->run(60)->stdout());
        $gone->stop();
        try {
            $client->createJob(Paths::hello())->withArgs(['again'])->submit();
            self::fail('submitted to a stopped daemon');
        } catch (TransportException $e) {
            self::assertStringContainsString("cannot reach the Plasm daemon at $url", $e->getMessage());
            self::assertStringContainsString('(2 attempts)', $e->getMessage());
        }
    }

    public function testAnIdempotencyKeyGivesTheSameJobAndRefusesAnotherRequest(): void
    {
        $key = 'php-test-' . bin2hex(random_bytes(4));
        $m = self::client()->createJob(Paths::hello())->withIdempotencyKey($key);
        $first = $m->submit();
        $second = $m->submit();
        self::assertSame($first->id(), $second->id());
        try {
            $m->withArgs(['other'])->submit();
            self::fail('one key took two requests');
        } catch (ApiException $e) {
            self::assertSame('idempotency-conflict', $e->errorCode());
            self::assertSame(409, $e->httpStatus());
            self::assertSame('idempotencyKey', $e->field());
        }
        $first->wait(60);
    }

    public function testAJobCanBeFollowedUpByIdFromAnotherClient(): void
    {
        $id = self::client()->createJob(Paths::hello())->withArgs(['later'])->submit()->id();
        $result = self::client()->job($id)->wait(60);
        self::assertSame("Hello from WebAssembly!\narg 1: later\n", $result->stdout());
        // Without the manifest, the receipt is still checked against the job id and the output.
        self::assertTrue($result->receipt()->verify(trusted: [self::$daemon->peerId]));
        $this->expectException(ApiException::class);
        $this->expectExceptionMessage('HTTP 404');
        self::client()->job('0123456789ab-0123456789abcdef');
    }

    public function testAFullQueueIsRetriedThenReported(): void
    {
        $small = new Daemon("[jobs]\nconcurrency = 1\nqueue-capacity = 1\n");
        try {
            $client = new Client(['daemon_url' => $small->url, 'token' => $small->token, 'retries' => 1]);
            $sleep = $client->createJob(Paths::fixture('sleep-forever'))->withEngine('chicory-interpreter')
                ->withTimeout(50);
            $running = $sleep->submit();
            $deadline = microtime(true) + 30;
            while ($running->status() !== 'running' && microtime(true) < $deadline) {
                usleep(50000);
            }
            $queued = $sleep->submit();
            $start = microtime(true);
            try {
                $sleep->submit();
                self::fail('a full queue took a job');
            } catch (ApiException $e) {
                self::assertSame('queue-full', $e->errorCode());
                self::assertSame(429, $e->httpStatus());
                self::assertSame(1, $e->retryAfter());
                self::assertGreaterThanOrEqual(1.0, microtime(true) - $start, 'it waited Retry-After before retrying');
            }
            self::assertSame('cancelled', $queued->cancel());
            self::assertSame('cancelled', $running->cancel());
        } finally {
            $small->stop();
        }
    }

    public function testThePhpAndJavaVerifiersAgreeOnADaemonsReceipt(): void
    {
        $result = self::client()->createJob(Paths::hello())->withArgs(['x'])->withNonce('n-java')->run(60);
        $dir = Paths::tempDir('plasm-php-agree');
        try {
            file_put_contents("$dir/r.json", $result->receipt()->json());
            file_put_contents("$dir/out", $result->stdout());
            [$code, $out] = Plasm::run(['receipt', 'verify', '--json', '--trust', self::$daemon->peerId,
                '--module', Paths::hello(), '--stdout', "$dir/out", '--job-id', $result->jobId(), '--nonce', 'n-java',
                "$dir/r.json"]);
            self::assertSame(0, $code, $out);
            $java = json_decode($out, true);
            $php = $result->receipt()->check(trusted: [self::$daemon->peerId], stderr: null, args: null)->toArray();
            // args and stderr are checks the SDK adds from what the job was given; the CLI was not given them.
            $shared = static fn ($c) => !in_array($c['name'], ['args', 'stderr'], true);
            $phpChecks = array_values(array_filter($php['checks'], $shared));
            self::assertSame(
                array_map(static fn ($c) => [$c['name'], $c['passed']], $java['checks']),
                array_map(static fn ($c) => [$c['name'], $c['passed']], $phpChecks)
            );
            foreach (['wellFormed', 'authentic', 'trusted'] as $verdict) {
                self::assertSame($java[$verdict], $php[$verdict], $verdict);
            }
        } finally {
            Paths::removeTree($dir);
        }
    }
}
