<?php

declare(strict_types=1);

namespace Plasm\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Plasm\Exception\InvalidArgumentException;
use Plasm\Manifest;
use Plasm\Tests\Paths;

final class ManifestTests extends TestCase
{
    private static function hello(): Manifest
    {
        return Manifest::fromFile(Paths::hello());
    }

    public function testAFreshManifestSendsOnlyTheModuleAndItsName(): void
    {
        $m = self::hello();
        $sha = hash_file('sha256', Paths::hello());
        self::assertSame($sha, $m->moduleSha256());
        self::assertSame(['module' => $sha, 'programName' => 'hello.wasm'], $m->toArray());
        self::assertSame('{"module":"' . $sha . '","programName":"hello.wasm"}', $m->json());
        $inline = $m->toArray(inlineModule: true)['moduleBase64'];
        self::assertSame(base64_encode((string) file_get_contents(Paths::hello())), $inline);
    }

    public function testEveryFieldSerialisesUnderTheUnifiedNames(): void
    {
        $m = self::hello()
            ->withArgs(['world', ''])->withEnv(['LANG' => 'C', 'EMPTY' => ''])->withStdin("in\0put")
            ->withCpu(2)->withMemory(128)->withTimeout(30)->withFuel(1_000_000)
            ->withMaxOutput(4096)->withMaxTableElements(100)->withMaxModuleBytes(1 << 20)->withMaxStdinBytes(1024)
            ->withEngine('auto')->deterministic()->withNonce('n-42')->withIdempotencyKey('order-1234')
            ->withPlacement('remote')->withRedundancy(2)->withVerify('reexecute')->withProgramName('tool.wasm');
        self::assertSame([
            'module' => $m->moduleSha256(),
            'programName' => 'tool.wasm',
            'args' => ['world', ''],
            'env' => ['LANG' => 'C', 'EMPTY' => ''],
            'stdinBase64' => base64_encode("in\0put"),
            'limits' => [
                'cpus' => 2,
                'maxMemoryBytes' => 128 * 1048576,
                'timeoutMillis' => 30000,
                'fuel' => 1000000,
                'maxOutputBytes' => 4096,
                'maxTableElements' => 100,
                'maxModuleBytes' => 1048576,
                'maxStdinBytes' => 1024,
            ],
            'engine' => 'auto',
            'deterministic' => true,
            'nonce' => 'n-42',
            'idempotencyKey' => 'order-1234',
            'placement' => 'remote',
            'redundancy' => 2,
            'verify' => 'reexecute',
        ], $m->toArray());
        $json = json_decode($m->json(), true);
        self::assertSame($m->toArray(), $json);
    }

    public function testTheNewFieldsAreSentOnlyWhenSet(): void
    {
        $body = self::hello()->withMemory(64)->toArray();
        foreach (['placement', 'redundancy', 'verify'] as $f) {
            self::assertArrayNotHasKey($f, $body);
        }
        self::assertSame(['maxMemoryBytes' => 67108864], $body['limits']);
        self::assertSame('{"cpus":1}', json_encode(json_decode(self::hello()->withCpu(1)->json())->limits));
        $peer = '12D3KooWMcRaLtkCAG8vQEPJhV7E8K5F3tSzgkp4nb46NtivgJBd';
        self::assertSame($peer, self::hello()->withPlacement($peer)->toArray()['placement']);
        self::assertSame('any', self::hello()->withPlacement('any')->toArray()['placement']);
        self::assertSame('receipt', self::hello()->withVerify('receipt')->toArray()['verify']);
        self::assertFalse(self::hello()->deterministic(false)->toArray()['deterministic']);
    }

    public function testTheFileFormNamesTheModuleAndStdinByPath(): void
    {
        $m = self::hello()->withArgs(['a'])->withEnv(['LANG' => 'C'])->withStdin("in\0")->withMemory(64)
            ->withNonce('n-1')->withPlacement('local');
        $file = json_decode($m->fileJson('module.wasm', 'stdin'), true);
        $http = $m->toArray();
        unset($http['module'], $http['stdinBase64']);
        self::assertSame(['modulePath' => 'module.wasm'] + $http + ['stdinPath' => 'stdin'], $file);
        self::assertStringContainsString('"env":{"LANG":"C"}', $m->fileJson('m', 's'));

        $noStdin = json_decode(self::hello()->fileJson('module.wasm', 'stdin'), true);
        self::assertSame(['modulePath' => 'module.wasm', 'programName' => 'hello.wasm'], $noStdin);
        // An empty stdin is given (the guest reads nothing), not left to the command's own stdin.
        self::assertSame('stdin', json_decode(self::hello()->withStdin('')->fileJson('m', 'stdin'), true)['stdinPath']);
    }

    public function testEmptyObjectsStayObjectsInJson(): void
    {
        $m = self::hello()->withEnv([])->withArgs([]);
        self::assertStringNotContainsString('"env"', $m->json());
        self::assertStringContainsString('"env":{"1":"one"}', self::hello()->withEnv([1 => 'one'])->json());
    }

    public function testTimeoutsAreSecondsWithFractionsAndMemoryIsMib(): void
    {
        self::assertSame(1500, self::hello()->withTimeout(1.5)->toArray()['limits']['timeoutMillis']);
        self::assertSame(1, self::hello()->withTimeout(0.001)->toArray()['limits']['timeoutMillis']);
        self::assertSame(1048576, self::hello()->withMemory(1)->toArray()['limits']['maxMemoryBytes']);
        self::assertSame(65536, self::hello()->withMemoryBytes(65536)->toArray()['limits']['maxMemoryBytes']);
    }

    public function testWithersReturnNewManifestsAndLeaveTheOriginalUnchanged(): void
    {
        $base = self::hello()->withMemory(64);
        $a = $base->withArgs(['a']);
        $b = $base->withArgs(['b'])->withTimeout(5);
        self::assertNotSame($base, $a);
        self::assertSame(
            ['module' => $base->moduleSha256(), 'programName' => 'hello.wasm',
                'limits' => ['maxMemoryBytes' => 67108864]],
            $base->toArray()
        );
        self::assertSame(['a'], $a->args());
        self::assertSame(['b'], $b->args());
        self::assertArrayNotHasKey('timeoutMillis', $a->toArray()['limits']);
    }

    public function testTheDefaultIdempotencyKeyIsRandomAndNeverReplacesTheCallers(): void
    {
        $a = self::hello()->withDefaultIdempotencyKey()->idempotencyKey();
        $b = self::hello()->withDefaultIdempotencyKey()->idempotencyKey();
        self::assertMatchesRegularExpression('/\Aphp-[0-9a-f]{32}\z/', $a);
        self::assertNotSame($a, $b);
        $mine = self::hello()->withIdempotencyKey('mine');
        self::assertSame('mine', $mine->withDefaultIdempotencyKey()->idempotencyKey());
    }

    /** @return array<string, array{callable(Manifest): mixed, string}> */
    public static function refused(): array
    {
        return [
            'cpus 0' => [static fn (Manifest $m) => $m->withCpu(0), 'limits.cpus'],
            'memory 0 MiB' => [static fn (Manifest $m) => $m->withMemory(0), 'limits.maxMemoryBytes'],
            'memory beyond 64 bits' => [static fn ($m) => $m->withMemory(PHP_INT_MAX), 'limits.maxMemoryBytes'],
            'timeout 0' => [static fn (Manifest $m) => $m->withTimeout(0), 'limits.timeoutMillis'],
            'timeout NaN' => [static fn (Manifest $m) => $m->withTimeout(NAN), 'limits.timeoutMillis'],
            'negative fuel' => [static fn (Manifest $m) => $m->withFuel(-1), 'limits.fuel'],
            'negative output cap' => [static fn (Manifest $m) => $m->withMaxOutput(-1), 'limits.maxOutputBytes'],
            'negative stdin cap' => [static fn (Manifest $m) => $m->withMaxStdinBytes(-1), 'limits.maxStdinBytes'],
            'an argument that is not a string' => [static fn (Manifest $m) => $m->withArgs(['a', 3]), 'args[1]'],
            'arguments that are not a list' => [static fn (Manifest $m) => $m->withArgs(['x' => 'a']), 'args'],
            'a variable name with =' => [static fn (Manifest $m) => $m->withEnv(['A=B' => 'c']), 'env'],
            'a variable value that is not a string' => [static fn (Manifest $m) => $m->withEnv(['A' => 1]), 'env.A'],
            'an engine id with spaces' => [static fn (Manifest $m) => $m->withEngine('my engine'), 'engine'],
            'a nonce with a slash' => [static fn (Manifest $m) => $m->withNonce('a/b'), 'nonce'],
            'a long idempotency key' => [
                static fn ($m) => $m->withIdempotencyKey(str_repeat('k', 129)),
                'idempotencyKey',
            ],
            'a placement that is neither' => [static fn (Manifest $m) => $m->withPlacement('elsewhere'), 'placement'],
            'redundancy 0' => [static fn (Manifest $m) => $m->withRedundancy(0), 'redundancy'],
            'an unknown verify mode' => [static fn (Manifest $m) => $m->withVerify('trust-me'), 'verify'],
            'a program name that is a path' => [static fn ($m) => $m->withProgramName('../x.wasm'), 'programName'],
            'an empty program name' => [static fn (Manifest $m) => $m->withProgramName(''), 'programName'],
        ];
    }

    /**
     * @dataProvider refused
     * @param callable(Manifest): mixed $set
     */
    public function testBadValuesAreRefusedNamingTheField(callable $set, string $field): void
    {
        try {
            $set(self::hello());
            self::fail("accepted a bad $field");
        } catch (InvalidArgumentException $e) {
            self::assertSame($field, $e->field());
            self::assertStringStartsWith("$field: ", $e->getMessage());
        }
    }

    public function testAModuleMustExistAndBeWebAssembly(): void
    {
        try {
            Manifest::fromFile('/nonexistent/tool.wasm');
            self::fail('read a missing module');
        } catch (InvalidArgumentException $e) {
            self::assertSame('module', $e->field());
            self::assertStringContainsString('no such file', $e->getMessage());
        }
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage('module: not a WebAssembly module');
        Manifest::fromBytes('#!/bin/sh', 'tool.wasm');
    }

    public function testSubmittingNeedsAClient(): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage('client');
        self::hello()->submit();
    }
}
