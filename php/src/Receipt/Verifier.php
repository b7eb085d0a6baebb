<?php

declare(strict_types=1);

namespace Plasm\Receipt;

/**
 * Runs the checks of docs/receipts.md §7 on a receipt document, in order, each reported by name,
 * as Plasm's Java ReceiptVerifier does. A failure of `format`, `scheme` or `signer-key` ends the
 * verification (nothing after them can be checked); the others all run, so a report says everything
 * that does not match.
 *
 * @internal use Plasm\Receipt::check() or verify()
 */
final class Verifier
{
    public const SIGNING_PREFIX = 'plasm-receipt:v1:';

    private function __construct()
    {
    }

    /**
     * @param list<string> $trusted peer ids (12D3KooW...) or base64 public keys of trusted signers
     * @param array{module?: ?string, stdout?: ?string, stderr?: ?string, jobId?: ?string, nonce?: ?string,
     *     args?: ?list<string>} $expected what the verifier holds or expects; each is checked when given
     */
    public static function check(string $json, array $trusted, array $expected): VerificationReport
    {
        $checks = [];
        try {
            $r = Format::parse($json);
        } catch (FormatException $e) {
            $check = new Check('format', false, 'the receipt is malformed: ' . $e->getMessage());
            return new VerificationReport([$check], null);
        }
        $scheme = $r->get('scheme');
        $checks[] = new Check('format', true, "receipt version 1, scheme $scheme");
        if ($scheme !== 'ed25519') {
            $checks[] = new Check('scheme', false, "this verifier knows the scheme 'ed25519', not '$scheme'");
            return new VerificationReport($checks, $r);
        }

        $signer = $r->get('signer');
        $peerId = $signer->get('peerId');
        $key = base64_decode($signer->get('publicKey'), true);
        $keyProblem = $key === false ? 'the public key is not base64' : Ed25519::publicKeyProblem($key);
        $checks[] = new Check('signer-key', $keyProblem === null, $keyProblem ?? 'acceptable ed25519 key');
        if ($keyProblem !== null) {
            return new VerificationReport($checks, $r);
        }
        $derived = Ed25519::peerId($key);
        $checks[] = $derived === $peerId
            ? new Check('signer-peer-id', true, $peerId)
            : new Check('signer-peer-id', false, "signer.peerId is $peerId but the public key gives $derived");

        $settingsHash = CanonicalJson::sha256($r->get('settings'));
        $stated = $r->get('settingsSha256');
        $checks[] = $settingsHash === $stated
            ? new Check('settings-hash', true, 'matches the settings')
            : new Check('settings-hash', false, "settingsSha256 is $stated but the settings hash to $settingsHash");

        $checks[] = self::signature($r, $key, $peerId);

        $jobId = $expected['jobId'] ?? null;
        if ($jobId !== null) {
            $actual = $r->get('jobId');
            $checks[] = $actual === $jobId
                ? new Check('job-id', true, $actual)
                : new Check('job-id', false, "the receipt is for job $actual, not $jobId");
        }
        $nonce = $expected['nonce'] ?? null;
        if ($nonce !== null) {
            $actual = $r->get('nonce');
            $checks[] = new Check('nonce', $actual === $nonce, $actual === $nonce
                ? 'matches' : 'the receipt\'s nonce is ' . ($actual ?? 'absent') . ", not $nonce");
        }
        $args = $expected['args'] ?? null;
        if ($args !== null) {
            $hash = CanonicalJson::sha256(array_values($args));
            $actual = $r->get('inputs')->get('argsSha256');
            $checks[] = new Check('args', $actual === $hash, $actual === $hash
                ? 'the arguments hash to inputs.argsSha256'
                : "the given arguments hash to $hash but the receipt says $actual");
        }
        foreach (['module', 'stdout', 'stderr'] as $name) {
            if (isset($expected[$name])) {
                $checks[] = self::digest($name, $expected[$name], $r->get($name));
            }
        }
        $checks[] = self::trust($peerId, $key, $trusted);
        return new VerificationReport($checks, $r);
    }

    private static function signature(JsonObject $r, string $key, string $peerId): Check
    {
        if (!$r->has('signature')) {
            return new Check('signature', false, 'the receipt is not signed');
        }
        $sig = base64_decode($r->get('signature'), true);
        $members = $r->members;
        unset($members['signature']);
        $message = self::SIGNING_PREFIX . CanonicalJson::encode(new JsonObject($members));
        if ($sig !== false && Ed25519::verify($key, $message, $sig)) {
            return new Check('signature', true, "valid ed25519 signature by $peerId");
        }
        return new Check('signature', false, 'the signature does not match the receipt\'s content and key');
    }

    private static function digest(string $name, string $bytes, JsonObject $stated): Check
    {
        $sha = hash('sha256', $bytes);
        $n = strlen($bytes);
        if ($sha === $stated->get('sha256') && $n === $stated->get('bytes')) {
            return new Check($name, true, "sha256 $sha, $n bytes");
        }
        return new Check($name, false, "the given $name has sha256 $sha ($n bytes) but the receipt says "
            . $stated->get('sha256') . ' (' . $stated->get('bytes') . ' bytes)');
    }

    /** @param list<string> $trusted */
    private static function trust(string $peerId, string $key, array $trusted): Check
    {
        if ($trusted === []) {
            return new Check(
                'trust',
                false,
                'no trusted signers given; the key inside a receipt proves nothing by itself'
            );
        }
        foreach ($trusted as $t) {
            if ($t === $peerId) {
                return new Check('trust', true, "signer $t is trusted");
            }
            $k = base64_decode($t, true);
            if ($k !== false && hash_equals($k, $key)) {
                return new Check('trust', true, "signer key $t is trusted");
            }
        }
        return new Check('trust', false, "signer $peerId is not among the " . count($trusted) . ' trusted signer(s)');
    }
}
