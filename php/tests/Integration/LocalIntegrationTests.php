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

    public function testFieldsPlasmRunDoesNotTakeAreRefusedNotDropped(): void
    {
        foreach (
            [
                'placement' => static fn ($m) => $m->withPlacement('remote'),
                'redundancy' => static fn ($m) => $m->withRedundancy(2),
                'verify' => static fn ($m) => $m->withVerify('receipt'),
                'limits.maxStdinBytes' => static fn ($m) => $m->withMaxStdinBytes(10),
            ] as $field => $set
        ) {
            try {
                $set(self::client()->createJob(Paths::hello()))->submit();
                self::fail("$field was dropped");
            } catch (ApiException $e) {
                self::assertSame($field, $e->field());
                self::assertSame('unknown-field', $e->errorCode());
            }
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
