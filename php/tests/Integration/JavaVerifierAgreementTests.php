<?php

declare(strict_types=1);

namespace Plasm\Tests\Integration;

use PHPUnit\Framework\TestCase;
use Plasm\Receipt;
use Plasm\Tests\Paths;
use Plasm\Tests\Plasm;
use Plasm\Tests\ReceiptVectorsData;
use Plasm\Tests\Signer;

/**
 * The PHP verifier and Plasm's Java verifier (`plasm receipt verify --json`) run the same checks with
 * the same results on every shared vector, and the Java one accepts a receipt signed in PHP.
 */
final class JavaVerifierAgreementTests extends TestCase
{
    /** @return array<string, array{array<string, mixed>}> */
    public static function vectors(): array
    {
        return ReceiptVectorsData::vectors();
    }

    /**
     * @dataProvider vectors
     * @param array<string, mixed> $v
     */
    public function testBothVerifiersGiveTheSameChecks(array $v): void
    {
        $m = ReceiptVectorsData::manifest();
        $file = Paths::vectors() . '/' . $v['file'];
        $cli = ['receipt', 'verify', '--json', '--trust', $m['trustedPeerId'],
            '--module', Paths::repo() . '/' . $m['module'], '--stdout', Paths::vectors() . '/' . $m['stdout']];
        if (isset($v['expectJobId'])) {
            array_push($cli, '--job-id', $v['expectJobId']);
        }
        [$code, $out, $err] = Plasm::run([...$cli, $file]);
        $java = json_decode($out, true);
        self::assertIsArray($java, "plasm receipt verify printed no JSON (exit $code): $err");

        $php = Receipt::fromFile($file)->check(
            trusted: [$m['trustedPeerId']],
            module: (string) file_get_contents(Paths::repo() . '/' . $m['module']),
            stdout: (string) file_get_contents(Paths::vectors() . '/' . $m['stdout']),
            jobId: $v['expectJobId'] ?? null
        )->toArray();

        $pairs = static fn (array $checks): array => array_map(static fn ($c) => [$c['name'], $c['passed']], $checks);
        self::assertSame($pairs($java['checks']), $pairs($php['checks']), $v['file']);
        foreach (['wellFormed', 'authentic', 'trusted', 'jobId', 'signer'] as $k) {
            self::assertSame($java[$k] ?? null, $php[$k], "$k of {$v['file']}");
        }
        $expectedExit = $v['valid'] ? 0 : match ($v['failsCheck']) {
            'trust' => 10,
            'format' => 12,
            default => 11,
        };
        self::assertSame($expectedExit, $code, $v['file']);
    }

    public function testTheJavaVerifierAcceptsAReceiptSignedInPhp(): void
    {
        $signer = new Signer();
        $dir = Paths::tempDir('plasm-php-agree');
        try {
            file_put_contents("$dir/r.json", $signer->sign(Signer::helloReceipt()));
            [$code, $out] = Plasm::run(['receipt', 'verify', '--json', '--trust', $signer->peerId,
                '--module', Paths::hello(), '--stdout', Paths::vectors() . '/hello.stdout', "$dir/r.json"]);
            self::assertSame(0, $code, $out);
            self::assertTrue(json_decode($out, true)['trusted']);
        } finally {
            Paths::removeTree($dir);
        }
    }
}
