<?php

declare(strict_types=1);

namespace Plasm\Tests;

use Plasm\Receipt\CanonicalJson;
use Plasm\Receipt\Ed25519;
use Plasm\Receipt\Verifier;

/**
 * Signs receipt documents in the tests with a fresh Ed25519 key, following docs/receipts.md §4, so
 * that edge cases the shared vectors do not cover can be built with a valid signature.
 */
final class Signer
{
    public readonly string $publicKey;
    public readonly string $peerId;
    private readonly string $secretKey;

    public function __construct()
    {
        $pair = sodium_crypto_sign_seed_keypair(random_bytes(32));
        $this->secretKey = sodium_crypto_sign_secretkey($pair);
        $this->publicKey = sodium_crypto_sign_publickey($pair);
        $this->peerId = Ed25519::peerId($this->publicKey);
    }

    /** The valid-hello vector as PHP arrays, to change and sign again. */
    public static function helloReceipt(): array
    {
        return json_decode((string) file_get_contents(Paths::vectors() . '/valid-hello.json'), true);
    }

    /** Sets the signer and signature (and the settings hash, unless told not to), returns the JSON. */
    public function sign(array $receipt, bool $rehashSettings = true): string
    {
        $receipt['signer'] = ['peerId' => $this->peerId, 'publicKey' => base64_encode($this->publicKey)];
        if ($rehashSettings) {
            $receipt['settingsSha256'] = CanonicalJson::sha256($receipt['settings']);
        }
        unset($receipt['signature']);
        $message = Verifier::SIGNING_PREFIX . CanonicalJson::encode($receipt);
        $receipt['signature'] = base64_encode(sodium_crypto_sign_detached($message, $this->secretKey));
        return json_encode($receipt, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
    }
}
