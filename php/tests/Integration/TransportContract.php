<?php

declare(strict_types=1);

namespace Plasm\Tests\Integration;

use PHPUnit\Framework\TestCase;
use Plasm\Client;
use Plasm\Exception\ApiException;
use Plasm\Exception\JobFailedException;
use Plasm\Exception\UntrustedSignerException;
use Plasm\Exception\VerificationException;
use Plasm\Exception\WaitTimeoutException;
use Plasm\JobState;
use Plasm\Receipt;
use Plasm\Tests\Paths;

/**
 * What every transport must do, run against the real thing: RemoteIntegrationTests against a
 * `plasm daemon`, LocalIntegrationTests against the `plasm` command.
 */
abstract class TransportContract extends TestCase
{
    abstract protected static function client(): Client;

    /** The peer id that signs this transport's receipts. */
    abstract protected static function signer(): string;

    public function testHelloRunsAndItsReceiptVerifies(): void
    {
        $job = static::client()->createJob(Paths::hello())->withArgs(['world'])->withNonce('n-hello')->submit();
        $result = $job->wait(60);
        self::assertSame("Hello from WebAssembly!\narg 1: world\n", $result->stdout());
        self::assertSame('', $result->stderr());
        self::assertSame('completed', $result->outcome());
        self::assertSame(0, $result->exitCode());
        self::assertTrue($result->succeeded());
        self::assertSame($result, $result->throwIfFailed());
        self::assertSame($job->id(), $result->jobId());
        self::assertSame('finished', $job->status());
        self::assertSame(JobState::Finished, $job->state());
        self::assertIsString($result->engine()['id'] ?? null);
        self::assertSame(37, $result->usage()['stdoutBytes'] ?? null);

        $receipt = $result->receipt();
        self::assertTrue($receipt->verify(trusted: [static::signer()]));
        self::assertSame($job->id(), $receipt->jobId());
        $checks = $receipt->check(trusted: [static::signer()])->toArray()['checks'];
        self::assertSame(
            ['format', 'signer-key', 'signer-peer-id', 'settings-hash', 'signature', 'job-id', 'nonce', 'args',
                'module', 'stdout', 'stderr', 'trust'],
            array_column($checks, 'name')
        );
        self::assertSame(hash_file('sha256', Paths::hello()), $receipt->toArray()['module']['sha256']);
    }

    public function testArgumentsEnvironmentAndStdinReachTheGuest(): void
    {
        $client = static::client();
        $env = $client->createJob(Paths::fixture('probe'))->withArgs(['env', 'LANG', 'HOME'])
            ->withEnv(['LANG' => 'C.UTF-8'])->run(60);
        self::assertSame("LANG=C.UTF-8\nHOME unset\n", $env->stdout());

        $cat = $client->createJob(Paths::fixture('probe'))->withArgs(['cat'])->withStdin("line 1\nline 2\n")->run(60);
        self::assertSame("line 1\nline 2\n", $cat->stdout());
        self::assertSame("read 14 bytes\n", $cat->stderr());
        self::assertTrue($cat->receipt()->verify(trusted: [static::signer()]));

        $args = $client->createJobFromBytes((string) file_get_contents(Paths::fixture('probe')), 'renamed.wasm')
            ->withArgs(['args', 'a b', ''])->run(60);
        self::assertSame("renamed.wasm\nargs\na b\n\n", $args->stdout());
        self::assertTrue($args->receipt()->verify(trusted: [static::signer()]));
    }

    public function testATrapIsAResultWithAReceipt(): void
    {
        $result = static::client()->createJob(Paths::fixture('trap-unreachable'))->submit()->wait(60);
        self::assertSame('trapped', $result->outcome());
        self::assertSame('unreachable', $result->detail());
        self::assertNull($result->exitCode());
        self::assertFalse($result->succeeded());
        self::assertTrue($result->receipt()->verify(trusted: [static::signer()]));
        self::assertSame(['kind' => 'trapped', 'detail' => 'unreachable'], $result->receipt()->toArray()['outcome']);
        try {
            $result->throwIfFailed();
            self::fail('a trap passed as success');
        } catch (JobFailedException $e) {
            self::assertSame('trapped', $e->outcome());
            self::assertSame('unreachable', $e->detail());
            self::assertSame('finished', $e->state());
            self::assertSame(JobState::Finished, $e->jobState());
            self::assertStringContainsString('trapped (unreachable)', $e->getMessage());
        }
    }

    public function testATimeoutEndsTheJobAndIsSigned(): void
    {
        $start = microtime(true);
        $result = static::client()->createJob(Paths::fixture('loop-br'))->withTimeout(1)->submit()->wait(60);
        self::assertSame('limit-exceeded', $result->outcome());
        self::assertSame('wall-time', $result->detail());
        self::assertStringContainsString('1s', (string) $result->message());
        self::assertLessThan(30, microtime(true) - $start);
        $receipt = $result->receipt();
        self::assertTrue($receipt->verify(trusted: [static::signer()]));
        self::assertSame(1000, $receipt->toArray()['settings']['limits']['timeoutMillis']);
        self::assertSame(['kind' => 'limit-exceeded', 'detail' => 'wall-time'], $receipt->toArray()['outcome']);
    }

    public function testABadManifestIsRefusedNamingTheField(): void
    {
        try {
            static::client()->createJob(Paths::hello())->withTimeout(25 * 3600)->run(60);
            self::fail('a 25 h timeout was accepted');
        } catch (ApiException $e) {
            self::assertSame('invalid-value', $e->errorCode());
            self::assertSame('limits.timeoutMillis', $e->field());
        }
        try {
            static::client()->createJob(Paths::hello())->withEngine('no-such-engine')->run(60);
            self::fail('an unknown engine was accepted');
        } catch (ApiException $e) {
            self::assertSame('invalid-value', $e->errorCode());
            self::assertSame('engine', $e->field());
            self::assertStringContainsString('no-such-engine', $e->getMessage());
        }
    }

    public function testCpusANodeCannotGiveAreRefusedNeverIgnored(): void
    {
        // A WASI preview 1 guest has one thread: one CPU is given, two are refused, never reduced.
        self::assertTrue(static::client()->createJob(Paths::hello())->withCpu(1)->run(60)->succeeded());
        try {
            static::client()->createJob(Paths::hello())->withCpu(2)->run(60);
            self::fail('2 CPUs were accepted');
        } catch (ApiException $e) {
            self::assertSame('limits.cpus', $e->field(), $e->getMessage());
            self::assertSame('invalid-value', $e->errorCode());
        }
    }

    public function testAGuestReadingPastMaxStdinIsStoppedAndItIsSigned(): void
    {
        $client = static::client();
        $exact = $client->createJob(Paths::fixture('probe'))->withArgs(['cat'])->withStdin(str_repeat('a', 10))
            ->withMaxStdinBytes(10)->run(60);
        self::assertSame(str_repeat('a', 10), $exact->stdout(), 'reading exactly the cap is fine');
        self::assertTrue($exact->succeeded());

        $past = $client->createJob(Paths::fixture('probe'))->withArgs(['cat'])->withStdin(str_repeat('b', 100))
            ->withMaxStdinBytes(10)->run(60);
        self::assertSame('limit-exceeded', $past->outcome());
        self::assertSame('stdin', $past->detail());
        self::assertNull($past->exitCode());
        $receipt = $past->receipt();
        self::assertTrue($receipt->verify(trusted: [static::signer()]));
        self::assertSame(10, $receipt->toArray()['settings']['limits']['maxStdinBytes']);
        self::assertSame(['kind' => 'limit-exceeded', 'detail' => 'stdin'], $receipt->toArray()['outcome']);
    }

    public function testOutputThatIsNotUtf8ArrivesByteForByte(): void
    {
        $bytes = "\xff\xfe\x00caf\xe9\n\xc3";
        $result = static::client()->createJob(Paths::fixture('probe'))->withArgs(['cat'])->withStdin($bytes)->run(60);
        self::assertSame(bin2hex($bytes), bin2hex($result->stdout()));
        self::assertTrue($result->receipt()->verify(trusted: [static::signer()]), 'the receipt signed these bytes');
    }

    public function testATamperedReceiptIsRejectedByTheCheckThatCatchesIt(): void
    {
        $result = static::client()->createJob(Paths::hello())->run(60);
        $json = $result->receipt()->json();
        $r = json_decode($json, true);
        $stdout = $result->stdout();

        $lie = $r;
        $lie['outcome']['exitCode'] = 1;
        $this->assertFailsCheck('signature', json_encode($lie), $stdout);

        $lie = $r;
        $lie['stdout']['bytes'] = 1;
        $this->assertFailsCheck('signature', json_encode($lie), $stdout);

        $lie = $r;
        $lie['settings']['limits']['timeoutMillis'] = 1;
        $this->assertFailsCheck('settings-hash', json_encode($lie), $stdout);

        $lie = $r;
        $lie['signature'][5] = $lie['signature'][5] === 'A' ? 'B' : 'A';
        $this->assertFailsCheck('signature', json_encode($lie), $stdout);

        // Genuine receipt, other output: the output is not the one it signed.
        $this->assertFailsCheck('stdout', $json, "Hello from somewhere else!\n");

        // Genuine receipt, nobody trusted: never reported as valid.
        $this->expectException(UntrustedSignerException::class);
        $someoneElse = '12D3KooWMcRaLtkCAG8vQEPJhV7E8K5F3tSzgkp4nb46NtivgJBd';
        Receipt::fromJson($json)->verify(trusted: [$someoneElse], stdout: $stdout);
    }

    private function assertFailsCheck(string $check, string $json, string $stdout): void
    {
        try {
            $module = (string) file_get_contents(Paths::hello());
            Receipt::fromJson($json)->verify(trusted: [static::signer()], stdout: $stdout, module: $module);
            self::fail("the receipt verified; expected '$check' to fail");
        } catch (VerificationException $e) {
            self::assertSame($check, $e->check(), $e->getMessage());
        }
    }

    public function testFollowPassesEveryByteOnceThenReturnsTheResult(): void
    {
        $chunks = [];
        $job = static::client()->createJob(Paths::hello())->withArgs(['a', 'b'])->submit();
        $result = $job->follow(static function (string $chunk) use (&$chunks): void {
            $chunks[] = $chunk;
        }, null, 60);
        self::assertSame("Hello from WebAssembly!\narg 1: a\narg 2: b\n", implode('', $chunks));
        self::assertSame(implode('', $chunks), $result->stdout());
        self::assertTrue($result->receipt()->verify(trusted: [static::signer()]));
    }

    public function testWaitingTooLongAndCancelling(): void
    {
        // chicory-interpreter: wasmtime 7 traps in poll_oneoff on this module instead of sleeping.
        $job = static::client()->createJob(Paths::fixture('sleep-forever'))->withEngine('chicory-interpreter')
            ->withTimeout(50)->submit();
        try {
            $job->wait(1.0);
            self::fail('sleep-forever ended');
        } catch (WaitTimeoutException $e) {
            self::assertSame($job->id(), $e->jobId());
            self::assertContains($e->state(), ['queued', 'running']);
            self::assertFalse($e->jobState()->ended(), $e->state());
        }
        self::assertContains($job->status(), ['queued', 'running']);
        self::assertFalse($job->state()->ended());
        self::assertSame('cancelled', $job->cancel());
        self::assertSame('cancelled', $job->status());
        self::assertSame(JobState::Cancelled, $job->state());
        try {
            $job->wait(10);
            self::fail('a cancelled job had a result');
        } catch (JobFailedException $e) {
            self::assertSame('cancelled', $e->state());
            self::assertSame(JobState::Cancelled, $e->jobState());
            self::assertNull($e->outcome());
        }
    }

    public function testDeterministicJobsRecordTheirProfile(): void
    {
        $result = static::client()->createJob(Paths::hello())->deterministic()->run(60);
        $receipt = $result->receipt();
        self::assertTrue($receipt->verify(trusted: [static::signer()]));
        $settings = $receipt->toArray()['settings'];
        self::assertSame('deterministic', $settings['profile']);
        self::assertMatchesRegularExpression('/\A[0-9a-f]{64}\z/', $settings['deterministic']['randomSeed']);
    }
}
