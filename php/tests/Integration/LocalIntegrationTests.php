<?php

declare(strict_types=1);

namespace Plasm\Tests\Integration;

use Plasm\Client;
use Plasm\Exception\ApiException;
use Plasm\Tests\Paths;
use Plasm\Tests\Plasm;

/**
 * The SDK running jobs with the real `plasm` command of the runtime image, in a private PLASM_HOME.
 */
final class LocalIntegrationTests extends TransportContract
{
    private static ?string $home = null;
    private static ?string $peerId = null;

    public static function setUpBeforeClass(): void
    {
        self::$home = Paths::tempDir('plasm-php-local');
        self::$peerId = Plasm::peerId(self::$home);
    }

    public static function tearDownAfterClass(): void
    {
        if (self::$home !== null) {
            Paths::removeTree(self::$home);
        }
    }

    protected static function client(): Client
    {
        return new Client(['mode' => 'local', 'plasm_bin' => Plasm::bin(), 'plasm_home' => self::$home]);
    }

    protected static function signer(): string
    {
        return self::$peerId;
    }

    public function testFieldsOnlyADaemonHonoursAreRefusedNamingTheFieldBeforeAnythingRuns(): void
    {
        $before = glob(sys_get_temp_dir() . '/plasm-php-*') ?: [];
        foreach (
            [
                'placement' => static fn ($m) => $m->withPlacement('remote'),
                'redundancy' => static fn ($m) => $m->withRedundancy(2),
                'verify' => static fn ($m) => $m->withVerify('reexecute'),
                'idempotencyKey' => static fn ($m) => $m->withIdempotencyKey('order-1234'),
            ] as $field => $set
        ) {
            try {
                $set(self::client()->createJob(Paths::hello()))->submit();
                self::fail("$field was dropped");
            } catch (ApiException $e) {
                self::assertSame($field, $e->field());
                self::assertSame('invalid-value', $e->errorCode());
                self::assertStringStartsWith("$field: ", $e->getMessage());
                self::assertStringContainsString("HTTP transport ('mode' => 'remote')", $e->getMessage());
            }
        }
        $peer = '12D3KooWMcRaLtkCAG8vQEPJhV7E8K5F3tSzgkp4nb46NtivgJBd';
        try {
            self::client()->createJob(Paths::hello())->withPlacement($peer)->submit();
            self::fail('a pinned peer was dropped');
        } catch (ApiException $e) {
            self::assertSame('placement', $e->field());
            self::assertStringContainsString($peer, $e->getMessage());
        }
        self::assertSame($before, glob(sys_get_temp_dir() . '/plasm-php-*') ?: [], 'nothing was started');

        // What this machine can honour runs: placement local or any, one node, receipt checking.
        foreach (['local', 'any'] as $placement) {
            $result = self::client()->createJob(Paths::hello())->withPlacement($placement)->withRedundancy(1)
                ->withVerify('receipt')->withArgs([$placement])->run(60);
            self::assertSame("Hello from WebAssembly!\narg 1: $placement\n", $result->stdout());
            self::assertSame([], $result->executedBy());
            self::assertSame([], $result->attempts());
        }
    }

    public function testAValueRefusedInTheManifestNamesItsFieldNotTheTemporaryFile(): void
    {
        try {
            self::client()->createJob(Paths::hello())->withMemoryBytes(5 << 30)->run(60);
            self::fail('5 GiB of memory were accepted');
        } catch (ApiException $e) {
            self::assertSame('limits.maxMemoryBytes', $e->field());
            self::assertSame('invalid-value', $e->errorCode());
            self::assertStringStartsWith('plasm run refused the job: limits.maxMemoryBytes: ', $e->getMessage());
            self::assertStringNotContainsString('--manifest', $e->getMessage());
        }
        try {
            self::client()->createJob(Paths::hello())->withEngine('chicory-compiler')->withFuel(1000)->run(60);
            self::fail('fuel on an engine that cannot meter it was accepted');
        } catch (ApiException $e) {
            self::assertSame('limits.fuel', $e->field(), $e->getMessage());
        }
    }

    public function testTheCommandIsFoundOnPath(): void
    {
        $path = getenv('PATH');
        putenv('PATH=' . dirname(Plasm::bin()) . ':' . $path);
        try {
            $client = new Client(['mode' => 'local', 'plasm_home' => self::$home]);
            self::assertSame("Hello from WebAssembly!\n", $client->createJob(Paths::hello())->run(60)->stdout());
        } finally {
            putenv("PATH=$path");
        }
    }

    public function testNoTemporaryFilesAreLeftBehind(): void
    {
        $before = glob(sys_get_temp_dir() . '/plasm-php-*') ?: [];
        self::client()->createJob(Paths::hello())->withStdin('x')->run(60);
        $job = self::client()->createJob(Paths::fixture('sleep-forever'))->withEngine('chicory-interpreter')->submit();
        $job->cancel();
        self::assertSame($before, glob(sys_get_temp_dir() . '/plasm-php-*') ?: []);
    }
}
