<?php

declare(strict_types=1);

namespace Plasm\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Plasm\Exception\UntrustedSignerException;
use Plasm\Exception\VerificationException;
use Plasm\Receipt;
use Plasm\Tests\Paths;
use Plasm\Tests\ReceiptVectorsData;

/**
 * Every shared vector of docs/receipts/vectors, verified as docs/receipts.md §8 says: the valid ones
 * pass, each tampered one fails the check the manifest names, and nothing after it is reported as
 * the reason.
 */
final class ReceiptVectorsTests extends TestCase
{
    /** @return array<string, mixed> */
    private static function manifest(): array
    {
        return ReceiptVectorsData::manifest();
    }

    /** @return array<string, array{array<string, mixed>}> */
    public static function vectors(): array
    {
        return ReceiptVectorsData::vectors();
    }

    public function testTheManifestListsEveryVectorFile(): void
    {
        $files = array_map('basename', glob(Paths::vectors() . '/*.json'));
        $listed = array_column(self::manifest()['vectors'], 'file');
        sort($files);
        sort($listed);
        self::assertSame(array_values(array_diff($files, ['manifest.json'])), $listed);
        self::assertGreaterThanOrEqual(29, count($listed));
    }

    /**
     * @dataProvider vectors
     * @param array<string, mixed> $v
     */
    public function testVector(array $v): void
    {
        $m = self::manifest();
        $receipt = Receipt::fromFile(Paths::vectors() . '/' . $v['file']);
        $args = [
            'trusted' => [$m['trustedPeerId']],
            'module' => (string) file_get_contents(Paths::repo() . '/' . $m['module']),
            'stdout' => (string) file_get_contents(Paths::vectors() . '/' . $m['stdout']),
            'jobId' => $v['expectJobId'] ?? null,
        ];
        $report = $receipt->check(...$args);
        if ($v['valid']) {
            self::assertTrue($receipt->verify(...$args), $v['reason']);
            self::assertTrue($report->passed());
            self::assertSame(
                ['format', 'signer-key', 'signer-peer-id', 'settings-hash', 'signature', 'module', 'stdout', 'trust'],
                array_column(array_map(static fn ($c) => $c->toArray(), $report->checks), 'name')
            );
            return;
        }
        try {
            $receipt->verify(...$args);
            self::fail("{$v['file']} verified, but it {$v['reason']}");
        } catch (VerificationException $e) {
            self::assertSame($v['failsCheck'], $e->check(), "{$v['file']}: {$e->getMessage()}");
            self::assertSame($v['failsCheck'] === 'trust', $e instanceof UntrustedSignerException);
            self::assertSame($report->toArray(), $e->report()->toArray());
        }
        self::assertFalse($report->passed());
        self::assertSame($v['failsCheck'], $report->failures()[0]->name);
        self::assertSame($v['failsCheck'] === 'format', !$report->wellFormed());
    }

    public function testAnUntrustedSignerIsReportedAsSuchNeverAsValid(): void
    {
        $receipt = Receipt::fromFile(Paths::vectors() . '/other-signer.json');
        $report = $receipt->check(trusted: [self::manifest()['trustedPeerId']]);
        self::assertTrue($report->authentic());
        self::assertFalse($report->trusted());
        self::assertFalse($report->passed());
        $this->expectException(UntrustedSignerException::class);
        $this->expectExceptionMessageMatches('/authentic but not trusted: signer 12D3KooW\w+ is not among the 1 /');
        $receipt->verify(trusted: [self::manifest()['trustedPeerId']]);
    }

    public function testWithoutATrustListEvenAValidReceiptIsNotTrusted(): void
    {
        $receipt = Receipt::fromFile(Paths::vectors() . '/valid-hello.json');
        $this->expectException(UntrustedSignerException::class);
        $this->expectExceptionMessage('no trusted signers given');
        $receipt->verify();
    }

    public function testTheSignerCanBeTrustedByItsPublicKey(): void
    {
        $receipt = Receipt::fromFile(Paths::vectors() . '/valid-hello.json');
        self::assertTrue($receipt->verify(trusted: [self::manifest()['trustedPublicKey']]));
        $key = self::manifest()['trustedPublicKey'];
        self::assertSame("signer key $key is trusted", $receipt->check(trusted: [$key])->check('trust')->detail);
    }

    public function testTheReportHasTheShapeOfPlasmReceiptVerifyJson(): void
    {
        $receipt = Receipt::fromFile(Paths::vectors() . '/valid-hello.json');
        $report = $receipt->check(trusted: [self::manifest()['trustedPeerId']], nonce: 'nonce-abc');
        $a = $report->toArray();
        self::assertSame(['wellFormed', 'authentic', 'trusted', 'jobId', 'signer', 'checks'], array_keys($a));
        self::assertSame('job-0001', $a['jobId']);
        self::assertSame(self::manifest()['trustedPeerId'], $a['signer']);
        self::assertSame(['name' => 'nonce', 'passed' => true, 'detail' => 'matches'], $a['checks'][5]);
    }
}
