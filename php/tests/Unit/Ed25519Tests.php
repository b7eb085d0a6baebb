<?php

declare(strict_types=1);

namespace Plasm\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Plasm\Receipt\Ed25519;

final class Ed25519Tests extends TestCase
{
    private const VECTOR_KEY = 'rz0gJk+cJu8IW1zlN/QX1CQDegljpjhv9tBQ5b93NxQ=';
    private const VECTOR_PEER = '12D3KooWMcRaLtkCAG8vQEPJhV7E8K5F3tSzgkp4nb46NtivgJBd';

    public function testPeerIdIsTheBase58IdentityMultihashOfTheProtobufKey(): void
    {
        self::assertSame(self::VECTOR_PEER, Ed25519::peerId(base64_decode(self::VECTOR_KEY)));
        $pair = sodium_crypto_sign_keypair();
        self::assertStringStartsWith('12D3KooW', Ed25519::peerId(sodium_crypto_sign_publickey($pair)));
    }

    public function testAcceptsARealKey(): void
    {
        self::assertNull(Ed25519::publicKeyProblem(base64_decode(self::VECTOR_KEY)));
    }

    /** @return array<string, array{string}> */
    public static function refusedKeys(): array
    {
        $ff = str_repeat('ff', 30);
        return [
            // The eight points of small order (their canonical encodings, and -0 where it exists).
            'identity 01 00..00' => ['01' . str_repeat('00', 31)],
            'order 2 (y = p - 1)' => ['ec' . $ff . '7f'],
            'order 4 (y = 0)' => [str_repeat('00', 32)],
            'order 4 (y = 0, x negative)' => [str_repeat('00', 31) . '80'],
            'order 8 a' => ['c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'],
            'order 8 b' => ['c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa'],
            'order 8 c' => ['26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'],
            'order 8 d' => ['26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85'],
            // Non-canonical encodings: y >= p.
            'y = p' => ['ed' . $ff . '7f'],
            'y = p + 1 (the identity again)' => ['ee' . $ff . '7f'],
            'y = 2^255 - 1' => ['ff' . $ff . '7f'],
            'too short' => [str_repeat('11', 31)],
            'too long' => [str_repeat('11', 33)],
        ];
    }

    /** @dataProvider refusedKeys */
    public function testRefusesSmallOrderNonCanonicalAndMisSizedKeys(string $hex): void
    {
        self::assertNotNull(Ed25519::publicKeyProblem(hex2bin($hex)));
        // Not even a signature made to match could pass with such a key.
        self::assertFalse(Ed25519::verify(hex2bin($hex), 'm', "\x01" . str_repeat("\0", 63)));
    }

    public function testVerifiesPureEd25519AndRefusesAMalleatedS(): void
    {
        $pair = sodium_crypto_sign_keypair();
        $pk = sodium_crypto_sign_publickey($pair);
        $sig = sodium_crypto_sign_detached('message', sodium_crypto_sign_secretkey($pair));
        self::assertTrue(Ed25519::verify($pk, 'message', $sig));
        self::assertFalse(Ed25519::verify($pk, 'messagE', $sig));
        self::assertFalse(Ed25519::verify($pk, 'message', substr($sig, 0, 63)));
        self::assertFalse(Ed25519::verify($pk, 'message', $sig . "\0"));

        // S + L is the same scalar mod L: lax verifiers accept it, a strict one must not.
        $l = "\xed\xd3\xf5\x5c\x1a\x63\x12\x58\xd6\x9c\xf7\xa2\xde\xf9\xde\x14" . str_repeat("\0", 15) . "\x10";
        $s = substr($sig, 32);
        $sum = '';
        $carry = 0;
        for ($i = 0; $i < 32; $i++) {
            $v = ord($s[$i]) + ord($l[$i]) + $carry;
            $sum .= chr($v & 0xFF);
            $carry = $v >> 8;
        }
        self::assertSame(0, $carry, 'S + L fits in 32 bytes for every S < L');
        self::assertFalse(Ed25519::verify($pk, 'message', substr($sig, 0, 32) . $sum));
    }
}
