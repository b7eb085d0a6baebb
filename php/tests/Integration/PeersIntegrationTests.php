<?php

declare(strict_types=1);

namespace Plasm\Tests\Integration;

use PHPUnit\Framework\TestCase;
use Plasm\Attempt;
use Plasm\Client;
use Plasm\Exception\ApiException;
use Plasm\Exception\JobFailedException;
use Plasm\Exception\UntrustedSignerException;
use Plasm\Tests\Daemon;
use Plasm\Tests\Paths;

/**
 * Jobs across peers through the SDK's HTTP transport, with three real daemons on 127.0.0.1: the
 * requester runs no other peer's jobs ([remote] enabled = false), the two executors do and offer
 * themselves on the DHT every second (docs/remote.md). Every job is submitted to the requester.
 */
final class PeersIntegrationTests extends TestCase
{
    /** One worker JVM per daemon (the default is two): nine JVMs would make the start slow on a small machine. */
    private const P2P = "[jobs]\nconcurrency = 1\n\n[p2p]\nenabled = true\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\n";
    private const EXECUTOR = "[remote]\nenabled = true\noffer-interval = \"1s\"\noffer-ttl = \"20s\"\n";

    private static ?Daemon $requester = null;
    /** @var array<string, Daemon> the executors by peer id */
    private static array $executors = [];

    public static function setUpBeforeClass(): void
    {
        self::$requester = new Daemon(self::P2P . "[remote]\nenabled = false\n");
        try {
            $seed = self::$requester->get('/v1/peers')['listenAddresses'][0];
            $boot = self::P2P . "bootstrap = [\"$seed\"]\n" . self::EXECUTOR;
            foreach (Daemon::startAll([$boot, $boot]) as $d) {
                self::$executors[$d->peerId] = $d;
            }
            // The requester finds both executors' provider records before any job is placed.
            $providers = '/v1/dht/providers/' . rawurlencode('/plasm/executor') . '?max=20';
            $deadline = microtime(true) + 60;
            do {
                $found = array_column(self::$requester->get($providers)['providers'], 'peerId');
                if (array_diff(array_keys(self::$executors), $found) === []) {
                    return;
                }
                usleep(250000);
            } while (microtime(true) < $deadline);
            throw new \RuntimeException('the requester never found both executors; it found: ' . implode(', ', $found));
        } catch (\Throwable $e) {
            self::tearDownAfterClass();
            throw $e;
        }
    }

    public static function tearDownAfterClass(): void
    {
        foreach ([self::$requester, ...array_values(self::$executors)] as $d) {
            $d?->stop();
        }
        self::$requester = null;
        self::$executors = [];
    }

    private static function client(?Daemon $daemon = null): Client
    {
        $daemon ??= self::$requester;
        return new Client(['daemon_url' => $daemon->url, 'token' => $daemon->token]);
    }

    public function testARemoteJobRunsOnAnExecutorWhoseReceiptVerifiesWithThatPeerTrusted(): void
    {
        $job = self::client()->createJob(Paths::hello())->withArgs(['peers'])->withNonce('n-remote')
            ->withPlacement('remote')->submit();
        $result = $job->wait(120);
        self::assertSame("Hello from WebAssembly!\narg 1: peers\n", $result->stdout());
        self::assertTrue($result->succeeded());

        $by = $result->executedBy();
        self::assertCount(1, $by);
        self::assertArrayHasKey($by[0], self::$executors, 'it ran on an executor, not on the requester');
        self::assertSame($by, $job->executedBy());
        self::assertSame('remote', $result->toArray()['placement']);
        $accepted = array_values(array_filter($result->attempts(), static fn (Attempt $a) => $a->ok()));
        self::assertCount(1, $accepted);
        self::assertSame($by[0], $accepted[0]->peerId);
        self::assertNotNull($accepted[0]->endedAt);
        self::assertGreaterThanOrEqual($accepted[0]->startedAt, $accepted[0]->endedAt);

        // Signed by the executor, with its own job id; checked here against module, args, nonce, output.
        $receipt = $result->receipt();
        self::assertTrue($receipt->verify(trusted: [$by[0]]));
        self::assertSame($by[0], $receipt->signerPeerId());
        self::assertSame($accepted[0]->executorJobId, $receipt->jobId());
        try {
            $receipt->verify(trusted: [self::$requester->peerId]);
            self::fail('the requester was taken for the signer');
        } catch (UntrustedSignerException $e) {
            self::assertSame('trust', $e->check());
        }

        // The executor has the job, and knows who asked for it.
        $there = self::client(self::$executors[$by[0]])->job((string) $accepted[0]->executorJobId);
        self::assertSame(['peerId' => self::$requester->peerId, 'jobId' => $result->jobId()], $there->requester());
        self::assertSame([], $there->attempts());
        $thereResult = $there->wait(30);
        self::assertSame($result->stdout(), $thereResult->stdout());
        self::assertTrue($thereResult->receipt()->verify(trusted: [$by[0]]));
    }

    public function testRedundancyTwoRunsOnBothExecutorsAndTheirAnswersAgree(): void
    {
        $result = self::client()->createJob(Paths::hello())->withArgs(['twice'])->deterministic()
            ->withPlacement('remote')->withRedundancy(2)->run(180);
        self::assertTrue($result->succeeded(), (string) $result->message());
        $by = $result->executedBy();
        sort($by);
        $executors = array_keys(self::$executors);
        sort($executors);
        self::assertSame($executors, $by);
        $ok = array_filter($result->attempts(), static fn (Attempt $a) => $a->ok());
        self::assertEqualsCanonicalizing($executors, array_map(static fn (Attempt $a) => $a->peerId, $ok));
        self::assertSame(2, $result->toArray()['redundancy']);
        self::assertTrue($result->receipt()->verify(trusted: $executors));
        self::assertContains($result->receipt()->signerPeerId(), $executors);
    }

    public function testAPinnedPeerRunsTheJob(): void
    {
        foreach (array_keys(self::$executors) as $peer) {
            $result = self::client()->createJob(Paths::hello())->withArgs(['pinned'])->withPlacement($peer)->run(120);
            self::assertTrue($result->succeeded(), (string) $result->message());
            self::assertSame([$peer], $result->executedBy());
            self::assertSame($peer, $result->toArray()['placement']);
            self::assertTrue($result->receipt()->verify(trusted: [$peer]));
        }
    }

    public function testAnyRunsOnTheRequesterWhenItCan(): void
    {
        $result = self::client()->createJob(Paths::hello())->withPlacement('any')->run(60);
        self::assertTrue($result->succeeded());
        self::assertSame([], $result->executedBy());
        self::assertTrue($result->receipt()->verify(trusted: [self::$requester->peerId]));
    }

    public function testTwoCpusAreRefusedNamingTheField(): void
    {
        try {
            self::client()->createJob(Paths::hello())->withCpu(2)->withPlacement('remote')->run(120);
            self::fail('2 CPUs were accepted for a remote job');
        } catch (ApiException $e) {
            self::assertSame('limits.cpus', $e->field(), $e->getMessage());
            self::assertSame('invalid-value', $e->errorCode());
            self::assertSame(400, $e->httpStatus());
        }
    }

    public function testAnExecutorStopsAGuestReadingPastMaxStdinBytes(): void
    {
        $result = self::client()->createJob(Paths::fixture('probe'))->withArgs(['cat'])
            ->withStdin(str_repeat('x', 100))->withMaxStdinBytes(10)->withPlacement('remote')->run(120);
        self::assertSame('limit-exceeded', $result->outcome(), (string) $result->message());
        self::assertSame('stdin', $result->detail());
        $by = $result->executedBy();
        self::assertCount(1, $by);
        self::assertArrayHasKey($by[0], self::$executors);
        $receipt = $result->receipt();
        self::assertTrue($receipt->verify(trusted: [$by[0]]));
        self::assertSame(10, $receipt->toArray()['settings']['limits']['maxStdinBytes']);
    }

    public function testCancellingARunningRemoteJobCancelsItOnTheExecutor(): void
    {
        // chicory-interpreter: wasmtime 7 traps in poll_oneoff on this module instead of sleeping.
        $job = self::client()->createJob(Paths::fixture('sleep-forever'))->withEngine('chicory-interpreter')
            ->withTimeout(60)->withPlacement('remote')->submit();
        $deadline = microtime(true) + 60;
        $out = null;
        while ($out === null && microtime(true) < $deadline) {
            foreach ($job->attempts() as $a) {
                if ($a->running() && $a->executorJobId !== null) {
                    $out = $a;
                }
            }
            usleep(100000);
        }
        self::assertNotNull($out, 'no executor accepted the job: ' . json_encode($job->toArray()));
        $there = self::client(self::$executors[$out->peerId])->job((string) $out->executorJobId);
        while ($there->status() !== 'running' && microtime(true) < $deadline) {
            usleep(100000);
        }
        self::assertSame('running', $there->status());

        $start = microtime(true);
        self::assertSame('cancelled', $job->cancel());
        self::assertLessThan(9.0, microtime(true) - $start, 'the executor answered the cancel');
        self::assertSame('cancelled', $there->status(), 'cancelled on the executor too');
        try {
            $job->wait(10);
            self::fail('a cancelled job had a result');
        } catch (JobFailedException $e) {
            self::assertSame('cancelled', $e->state());
        }
        self::assertSame('cancelled', $job->toArray()['outcome']['kind'] ?? null, json_encode($job->toArray()));
    }
}
