<?php

declare(strict_types=1);

namespace Plasm\Receipt;

/**
 * Strict parsing of a receipt document (docs/receipts.md §2), field by field, with the same rules as
 * Plasm's Java ReceiptCodec: duplicate keys, unknown fields, missing or null fields, wrong types,
 * fractions, negative sizes and malformed hashes, ids, times and base64 are errors naming the field.
 *
 * @internal
 */
final class Format
{
    private const SHA256 = '/\A[0-9a-f]{64}\z/';
    private const ID = '/\A[A-Za-z0-9._:-]{1,128}\z/';
    private const SCHEME = '/\A[a-z0-9]+(-[a-z0-9]+)*\z/';
    private const TIME = '/\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\z/';
    private const BASE64 = '/\A[A-Za-z0-9+\/]*={0,2}\z/';
    private const PEER_ID = '/\A[1-9A-HJ-NP-Za-km-z]{40,60}\z/';

    private function __construct()
    {
    }

    /**
     * The receipt's JSON tree when it is well-formed.
     *
     * @throws FormatException naming the field at fault
     */
    public static function parse(string $json): JsonObject
    {
        try {
            $root = StrictJson::decode($json);
        } catch (\UnexpectedValueException $e) {
            throw new FormatException('', $e->getMessage());
        }
        if (!$root instanceof JsonObject) {
            throw new FormatException('', 'a receipt is a JSON object');
        }
        self::only($root, '', ['version', 'scheme', 'jobId', 'nonce', 'module', 'inputs', 'settings',
            'settingsSha256', 'outcome', 'stdout', 'stderr', 'usage', 'startedAt', 'finishedAt', 'signer',
            'signature']);
        self::integers($root, '');

        $version = self::int($root, '', 'version');
        if ($version !== 1) {
            throw new FormatException('version', "this verifier reads receipt version 1, not $version");
        }
        self::match($root, '', 'scheme', self::SCHEME);
        self::match($root, '', 'jobId', self::ID);
        if ($root->has('nonce')) {
            self::match($root, '', 'nonce', self::ID);
        }
        self::digest(self::obj($root, '', 'module'), 'module');

        $in = self::obj($root, '', 'inputs');
        self::only($in, 'inputs', ['programName', 'argsSha256', 'envSha256', 'stdin']);
        $name = self::str($in, 'inputs', 'programName');
        $len = CanonicalJson::utf16Length($name);
        if ($len < 1 || $len > 255) {
            throw new FormatException('inputs.programName', 'must be 1-255 characters');
        }
        self::match($in, 'inputs', 'argsSha256', self::SHA256);
        self::match($in, 'inputs', 'envSha256', self::SHA256);
        self::digest(self::obj($in, 'inputs', 'stdin'), 'inputs.stdin');

        $st = self::obj($root, '', 'settings');
        self::only($st, 'settings', ['engineId', 'engineVersion', 'profile', 'limits', 'deterministic']);
        self::match($st, 'settings', 'engineId', self::SCHEME);
        $ev = self::str($st, 'settings', 'engineVersion');
        if (trim($ev, " \t\n\r\x0b\x0c") === '' || CanonicalJson::utf16Length($ev) > 64) {
            throw new FormatException('settings.engineVersion', 'must be 1-64 characters');
        }
        $profile = self::str($st, 'settings', 'profile');
        if ($profile !== 'default' && $profile !== 'deterministic') {
            throw new FormatException('settings.profile', "must be 'default' or 'deterministic', not '$profile'");
        }
        // One entry per limit the job ran under (docs/receipts.md §2): names a later node may add are
        // accepted, being covered by settingsSha256 and the signature all the same.
        $lim = self::obj($st, 'settings', 'limits');
        foreach ($lim->keys() as $name) {
            if (preg_match('/^[a-zA-Z][a-zA-Z0-9]{0,63}$/', $name) !== 1) {
                throw new FormatException('settings.limits', "'$name' is not a limit name");
            }
            self::nonNegative($lim, 'settings.limits', $name);
        }
        if ($st->has('deterministic')) {
            $det = self::obj($st, 'settings', 'deterministic');
            self::only($det, 'settings.deterministic', ['clockEpochMicros', 'randomSeed']);
            self::nonNegative($det, 'settings.deterministic', 'clockEpochMicros');
            self::match($det, 'settings.deterministic', 'randomSeed', self::SHA256);
        }
        if (($profile === 'deterministic') !== $st->has('deterministic')) {
            throw new FormatException(
                'settings.deterministic',
                "is present exactly when the profile is 'deterministic'"
            );
        }
        self::match($root, '', 'settingsSha256', self::SHA256);

        self::outcome(self::obj($root, '', 'outcome'));
        self::digest(self::obj($root, '', 'stdout'), 'stdout');
        self::digest(self::obj($root, '', 'stderr'), 'stderr');

        $u = self::obj($root, '', 'usage');
        self::only($u, 'usage', ['wallTimeMicros', 'peakMemoryPages', 'fuelConsumed']);
        self::nonNegative($u, 'usage', 'wallTimeMicros');
        self::nonNegative($u, 'usage', 'peakMemoryPages');
        if ($u->has('fuelConsumed')) {
            self::nonNegative($u, 'usage', 'fuelConsumed');
        }
        self::match($root, '', 'startedAt', self::TIME);
        self::match($root, '', 'finishedAt', self::TIME);

        $s = self::obj($root, '', 'signer');
        self::only($s, 'signer', ['peerId', 'publicKey']);
        self::match($s, 'signer', 'peerId', self::PEER_ID);
        self::match($s, 'signer', 'publicKey', self::BASE64);
        if ($root->has('signature')) {
            self::match($root, '', 'signature', self::BASE64);
        }
        return $root;
    }

    private static function outcome(JsonObject $o): void
    {
        self::only($o, 'outcome', ['kind', 'exitCode', 'detail']);
        $kind = self::str($o, 'outcome', 'kind');
        $exit = $o->has('exitCode') ? self::int($o, 'outcome', 'exitCode') : null;
        if ($exit !== null && ($exit < -2147483648 || $exit > 2147483647)) {
            throw new FormatException('outcome.exitCode', 'out of the 32-bit range');
        }
        $detail = $o->has('detail') ? self::str($o, 'outcome', 'detail') : null;
        switch ($kind) {
            case 'completed':
                if ($exit === null || $detail !== null) {
                    throw new FormatException('outcome', 'a completed outcome has an exitCode and no detail');
                }
                break;
            case 'trapped':
            case 'limit-exceeded':
            case 'rejected':
                if ($exit !== null || $detail === null || preg_match(self::SCHEME, $detail) !== 1) {
                    throw new FormatException('outcome', "a $kind outcome has a detail id and no exitCode");
                }
                break;
            case 'failed':
            case 'cancelled':
            case 'interrupted':
                if ($exit !== null || $detail !== null) {
                    throw new FormatException('outcome', "a $kind outcome has neither exitCode nor detail");
                }
                break;
            default:
                throw new FormatException('outcome.kind', "unknown outcome '$kind'");
        }
    }

    private static function digest(JsonObject $d, string $path): void
    {
        self::only($d, $path, ['sha256', 'bytes']);
        self::match($d, $path, 'sha256', self::SHA256);
        self::nonNegative($d, $path, 'bytes');
    }

    /** Every integer in the document is within ±(2^53 - 1) (§2). */
    private static function integers(mixed $v, string $path): void
    {
        if ($v instanceof JsonObject) {
            foreach ($v->members as $k => $m) {
                self::integers($m, self::at($path, (string) $k));
            }
        } elseif (is_array($v)) {
            foreach ($v as $i => $m) {
                self::integers($m, "{$path}[$i]");
            }
        } elseif (is_int($v) && ($v > CanonicalJson::MAX_SAFE_INTEGER || $v < -CanonicalJson::MAX_SAFE_INTEGER)) {
            throw new FormatException($path, "integer $v is outside ±(2^53 - 1)");
        }
    }

    /** @param list<string> $allowed */
    private static function only(JsonObject $o, string $path, array $allowed): void
    {
        foreach ($o->keys() as $k) {
            if (!in_array($k, $allowed, true)) {
                throw new FormatException(self::at($path, $k), 'unknown field');
            }
        }
    }

    private static function required(JsonObject $o, string $path, string $f): mixed
    {
        $v = $o->get($f);
        if ($v === null) {
            throw new FormatException(self::at($path, $f), 'is required');
        }
        return $v;
    }

    private static function obj(JsonObject $o, string $path, string $f): JsonObject
    {
        $v = self::required($o, $path, $f);
        if (!$v instanceof JsonObject) {
            throw new FormatException(self::at($path, $f), 'must be an object');
        }
        return $v;
    }

    private static function str(JsonObject $o, string $path, string $f): string
    {
        $v = self::required($o, $path, $f);
        if (!is_string($v)) {
            throw new FormatException(self::at($path, $f), 'must be a string');
        }
        return $v;
    }

    private static function int(JsonObject $o, string $path, string $f): int
    {
        $v = self::required($o, $path, $f);
        if (!is_int($v)) {
            throw new FormatException(self::at($path, $f), 'must be an integer');
        }
        return $v;
    }

    private static function nonNegative(JsonObject $o, string $path, string $f): void
    {
        $v = self::int($o, $path, $f);
        if ($v < 0) {
            throw new FormatException(self::at($path, $f), "must not be negative: $v");
        }
    }

    private static function match(JsonObject $o, string $path, string $f, string $pattern): void
    {
        $v = self::str($o, $path, $f);
        if (preg_match($pattern, $v) !== 1) {
            $shown = strlen($v) > 80 ? substr($v, 0, 77) . '...' : $v;
            throw new FormatException(self::at($path, $f), "'$shown' is not in the required format");
        }
    }

    private static function at(string $path, string $f): string
    {
        return $path === '' ? $f : "$path.$f";
    }
}
