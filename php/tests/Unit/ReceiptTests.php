<?php

declare(strict_types=1);

namespace Plasm\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Plasm\Exception\InvalidArgumentException;
use Plasm\Exception\VerificationException;
use Plasm\Receipt;
use Plasm\Tests\Paths;
use Plasm\Tests\Signer;

/**
 * Receipts the shared vectors do not cover, signed here with a fresh key so that only the property
 * under test is wrong.
 */
final class ReceiptTests extends TestCase
{
    private Signer $signer;

    protected function setUp(): void
    {
        $this->signer = new Signer();
    }

    private function failsWith(string $check, string $json, array $args = []): VerificationException
    {
        try {
            (new Receipt($json))->verify(...(['trusted' => [$this->signer->peerId]] + $args));
        } catch (VerificationException $e) {
            self::assertSame($check, $e->check(), $e->getMessage());
            return $e;
        }
        self::fail("the receipt verified; expected check '$check' to fail");
    }

    public function testAReceiptSignedHereVerifies(): void
    {
        $json = $this->signer->sign(Signer::helloReceipt());
        $stdout = (string) file_get_contents(Paths::vectors() . '/hello.stdout');
        self::assertTrue((new Receipt($json))->verify(
            trusted: [$this->signer->peerId],
            module: (string) file_get_contents(Paths::hello()),
            stdout: $stdout,
            stderr: '',
            jobId: 'job-0001',
            nonce: 'nonce-abc',
            args: []
        ));
    }

    public function testWhatAReceiptKnowsOfItsJobIsCheckedUnlessTheCallerGivesOtherValues(): void
    {
        $json = $this->signer->sign(Signer::helloReceipt());
        $stdout = (string) file_get_contents(Paths::vectors() . '/hello.stdout');
        $bound = new Receipt($json, ['stdout' => $stdout, 'jobId' => 'job-0001', 'args' => []]);
        self::assertTrue($bound->verify(trusted: [$this->signer->peerId]));
        $names = array_map(static fn ($c) => $c->name, $bound->check(trusted: [$this->signer->peerId])->checks);
        self::assertSame(
            ['format', 'signer-key', 'signer-peer-id', 'settings-hash', 'signature', 'job-id', 'args', 'stdout',
                'trust'],
            $names
        );

        $wrong = new Receipt($json, ['stdout' => "other\n"]);
        $this->expectException(VerificationException::class);
        $this->expectExceptionMessageMatches('/stdout.*6 bytes.*but the receipt says .* \(24 bytes\)/');
        $wrong->verify(trusted: [$this->signer->peerId]);
    }

    public function testAnUnsignedReceiptFailsTheSignatureCheck(): void
    {
        $r = json_decode($this->signer->sign(Signer::helloReceipt()), true);
        unset($r['signature']);
        $e = $this->failsWith('signature', json_encode($r));
        self::assertStringContainsString('not signed', $e->getMessage());
    }

    public function testAnUnknownSchemeStopsTheVerification(): void
    {
        $r = Signer::helloReceipt();
        $r['scheme'] = 'ed448';
        $e = $this->failsWith('scheme', $this->signer->sign($r));
        self::assertSame(['format', 'scheme'], array_map(static fn ($c) => $c->name, $e->report()->checks));
    }

    public function testExpectationsTheReceiptDoesNotMeet(): void
    {
        $r = Signer::helloReceipt();
        unset($r['nonce']);
        $json = $this->signer->sign($r);
        $this->failsWith('nonce', $json, ['nonce' => 'n-1']);
        $this->failsWith('job-id', $json, ['jobId' => 'job-0002']);
        $this->failsWith('args', $json, ['args' => ['world']]);
        $this->failsWith('module', $json, ['module' => "\0asm\x01\0\0\0"]);
        $this->failsWith('stderr', $json, ['stderr' => 'x']);
        $e = $this->failsWith('job-id', $json, ['jobId' => 'job-0002', 'stderr' => 'x']);
        self::assertSame(['job-id', 'stderr'], array_map(static fn ($c) => $c->name, $e->report()->failures()));
    }

    public function testASignatureOverOtherSettingsFailsTheSettingsHashFirst(): void
    {
        $r = Signer::helloReceipt();
        $r['settings']['limits']['timeoutMillis'] = 1000;
        $this->failsWith('settings-hash', $this->signer->sign($r, rehashSettings: false));
        // Signed with the settings hash recomputed, the same change is authentic.
        self::assertTrue((new Receipt($this->signer->sign($r)))->verify(trusted: [$this->signer->peerId]));
    }

    /** @return array<string, array{callable(array): array, string}> */
    public static function malformed(): array
    {
        return [
            'version 2' => [static fn ($r) => ['version' => 2] + $r, 'version'],
            'a null optional field' => [static fn ($r) => ['nonce' => null] + $r, 'nonce: is required'],
            'a negative size' => [static function ($r) {
                $r['stdout']['bytes'] = -1;
                return $r;
            }, 'stdout.bytes: must not be negative'],
            'upper-case hex' => [static function ($r) {
                $r['module']['sha256'] = strtoupper($r['module']['sha256']);
                return $r;
            }, 'module.sha256'],
            'a time without milliseconds' => [static fn ($r) => ['startedAt' => '2026-11-25T12:00Z'] + $r, 'startedAt'],
            'a completed outcome with a detail' => [static function ($r) {
                $r['outcome']['detail'] = 'unreachable';
                return $r;
            }, 'a completed outcome has an exitCode and no detail'],
            'a trap without a detail' => [static fn ($r) => ['outcome' => ['kind' => 'trapped']] + $r, 'detail id'],
            'an unknown outcome' => [static fn ($r) => ['outcome' => ['kind' => 'crashed']] + $r, "outcome 'crashed'"],
            'an exit code over 32 bits' => [
                static fn ($r) => ['outcome' => ['kind' => 'completed', 'exitCode' => 2 ** 31]] + $r,
                '32-bit',
            ],
            'a deterministic profile without its values' => [static function ($r) {
                $r['settings']['profile'] = 'deterministic';
                return $r;
            }, 'settings.deterministic'],
            'an integer beyond 2^53' => [static function ($r) {
                $r['usage']['wallTimeMicros'] = 2 ** 53;
                return $r;
            }, 'usage.wallTimeMicros: integer 9007199254740992'],
            'a 256-character program name' => [static function ($r) {
                $r['inputs']['programName'] = str_repeat('é', 256);
                return $r;
            }, 'inputs.programName'],
            'an unknown nested field' => [static function ($r) {
                $r['usage']['cpuMicros'] = 5;
                return $r;
            }, 'usage.cpuMicros: unknown field'],
            'a string where a number belongs' => [static function ($r) {
                $r['module']['bytes'] = '29966';
                return $r;
            }, 'module.bytes: must be an integer'],
            'an array where an object belongs' => [static fn ($r) => ['usage' => []] + $r, 'usage: must be an object'],
            'a signature that is not base64' => [static fn ($r) => ['signature' => 'not base64!'] + $r, 'signature'],
            'a peer id with a 0' => [static function ($r) {
                $r['signer']['peerId'] = str_repeat('0', 52);
                return $r;
            }, 'signer.peerId'],
        ];
    }

    /**
     * @dataProvider malformed
     * @param callable(array): array $change
     */
    public function testMalformedReceiptsFailTheFormatCheckNamingTheField(callable $change, string $expected): void
    {
        $json = json_encode($change(json_decode($this->signer->sign(Signer::helloReceipt()), true)));
        $e = $this->failsWith('format', $json);
        self::assertStringContainsString($expected, $e->getMessage());
        self::assertFalse($e->report()->wellFormed());
        self::assertCount(1, $e->report()->checks);
    }

    public function testADocumentThatIsNotAnObjectIsMalformed(): void
    {
        $this->failsWith('format', '[1, 2]');
        $this->failsWith('format', '');
    }

    public function testAKeyThatIsNotBase64OfThirtyTwoBytesFailsTheKeyCheck(): void
    {
        $r = json_decode($this->signer->sign(Signer::helloReceipt()), true);
        $r['signer']['publicKey'] = 'AAAA';
        $e = $this->failsWith('signer-key', json_encode($r));
        self::assertStringContainsString('32 bytes, this one has 3', $e->getMessage());
    }

    public function testFieldsAreReadableButOnlyAWellFormedReceiptHasThem(): void
    {
        $receipt = new Receipt($this->signer->sign(Signer::helloReceipt()));
        self::assertSame('job-0001', $receipt->jobId());
        self::assertSame($this->signer->peerId, $receipt->signerPeerId());
        self::assertSame(29966, $receipt->toArray()['module']['bytes']);

        $this->expectException(VerificationException::class);
        $this->expectExceptionMessage('malformed');
        (new Receipt('{"version": 1}'))->jobId();
    }

    public function testSaveWritesTheDocumentAsReceived(): void
    {
        $dir = Paths::tempDir('plasm-php-test');
        try {
            $json = (string) file_get_contents(Paths::vectors() . '/valid-hello-compact.json');
            (new Receipt($json))->save("$dir/r.json");
            self::assertSame($json, file_get_contents("$dir/r.json"));
            $signer = '12D3KooWMcRaLtkCAG8vQEPJhV7E8K5F3tSzgkp4nb46NtivgJBd';
            self::assertTrue(Receipt::fromFile("$dir/r.json")->verify(trusted: [$signer]));
        } finally {
            Paths::removeTree($dir);
        }
    }

    public function testAMissingFileAndBadTrustEntriesAreCallerErrors(): void
    {
        try {
            Receipt::fromFile('/nonexistent/r.json');
            self::fail('read a missing file');
        } catch (InvalidArgumentException $e) {
            self::assertSame('path', $e->field());
        }
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage('trusted[0]');
        (new Receipt('{}'))->check(trusted: [42]);
    }
}
