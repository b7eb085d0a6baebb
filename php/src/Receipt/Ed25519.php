<?php

declare(strict_types=1);

namespace Plasm\Receipt;

/**
 * The `ed25519` receipt scheme's checks (docs/receipts.md §5) on top of ext-sodium: public keys must
 * be canonical encodings of points of prime order, signatures 64 bytes with S below the group order.
 *
 * @internal
 */
final class Ed25519
{
    public const PUBLIC_KEY_BYTES = 32;
    public const SIGNATURE_BYTES = 64;

    /** The protobuf PublicKey header of an Ed25519 key: Type = 1 (Ed25519), Data = 32 bytes. */
    private const PROTOBUF_PREFIX = "\x08\x01\x12\x20";
    private const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

    private function __construct()
    {
    }

    /** @var array<string, ?string> the last keys checked: a verifier sees the same few signers again and again */
    private static array $checked = [];
    /** @var array<string, string> */
    private static array $peerIds = [];

    /** Why a public key is unacceptable, or null when it is a canonical point of prime order. */
    public static function publicKeyProblem(string $key): ?string
    {
        if (array_key_exists($key, self::$checked)) {
            return self::$checked[$key];
        }
        if (count(self::$checked) >= 64) {
            self::$checked = [];
        }
        return self::$checked[$key] = self::keyProblem($key);
    }

    private static function keyProblem(string $key): ?string
    {
        if (strlen($key) !== self::PUBLIC_KEY_BYTES) {
            return 'an Ed25519 public key has 32 bytes, this one has ' . strlen($key);
        }
        if (!self::isCanonical($key)) {
            return 'the public key is not a canonical encoding (its y coordinate is not below 2^255 - 19)';
        }
        // libsodium's conversion refuses small-order points, points off the curve and points outside
        // the prime-order subgroup: exactly the keys a verifier must not accept.
        try {
            sodium_crypto_sign_ed25519_pk_to_curve25519($key);
        } catch (\SodiumException) {
            return 'the public key is not a canonical Ed25519 point of prime order'
                . ' (small-order and non-canonical keys are refused)';
        }
        return null;
    }

    /** Strict verification: a bad key, a signature of the wrong length or with S >= L is false. */
    public static function verify(string $key, string $message, string $signature): bool
    {
        if (self::publicKeyProblem($key) !== null || strlen($signature) !== self::SIGNATURE_BYTES) {
            return false;
        }
        if (!self::isCanonical(substr($signature, 0, 32)) || !self::scalarIsCanonical(substr($signature, 32))) {
            return false;
        }
        try {
            return sodium_crypto_sign_verify_detached($signature, $message, $key);
        } catch (\SodiumException) {
            return false;
        }
    }

    /** The libp2p peer id of an Ed25519 public key: base58btc of the identity multihash of its protobuf. */
    public static function peerId(string $key): string
    {
        if (!isset(self::$peerIds[$key])) {
            if (count(self::$peerIds) >= 64) {
                self::$peerIds = [];
            }
            $proto = self::PROTOBUF_PREFIX . $key;
            self::$peerIds[$key] = self::base58("\x00" . chr(strlen($proto)) . $proto);
        }
        return self::$peerIds[$key];
    }

    /** Whether a 32-byte point encoding has y < p = 2^255 - 19 (the sign bit aside). */
    private static function isCanonical(string $point): bool
    {
        if ((ord($point[31]) & 0x7F) !== 0x7F) {
            return true;
        }
        for ($i = 30; $i > 0; $i--) {
            if (ord($point[$i]) !== 0xFF) {
                return true;
            }
        }
        return ord($point[0]) < 0xED;
    }

    /** Whether a 32-byte little-endian scalar is below the group order L. */
    private static function scalarIsCanonical(string $s): bool
    {
        // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
        $l = "\xed\xd3\xf5\x5c\x1a\x63\x12\x58\xd6\x9c\xf7\xa2\xde\xf9\xde\x14"
            . "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10";
        for ($i = 31; $i >= 0; $i--) {
            if ($s[$i] !== $l[$i]) {
                return ord($s[$i]) < ord($l[$i]);
            }
        }
        return false;
    }

    /** Base58 with the Bitcoin alphabet; leading zero bytes become '1'. */
    private static function base58(string $bytes): string
    {
        $digits = [];
        $n = strlen($bytes);
        for ($i = 0; $i < $n; $i++) {
            $carry = ord($bytes[$i]);
            foreach ($digits as $j => $d) {
                $carry += $d << 8;
                $digits[$j] = $carry % 58;
                $carry = intdiv($carry, 58);
            }
            while ($carry > 0) {
                $digits[] = $carry % 58;
                $carry = intdiv($carry, 58);
            }
        }
        $out = str_repeat('1', strspn($bytes, "\x00"));
        for ($j = count($digits) - 1; $j >= 0; $j--) {
            $out .= self::BASE58[$digits[$j]];
        }
        return $out;
    }
}
