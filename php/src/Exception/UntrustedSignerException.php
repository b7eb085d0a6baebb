<?php

declare(strict_types=1);

namespace Plasm\Exception;

/**
 * The receipt is authentic and matches everything the verifier holds, but its signer is not one the
 * verifier trusts (check `trust`). The key inside a receipt proves only that its holder signed: this
 * is not a valid receipt until its signer is pinned.
 */
class UntrustedSignerException extends VerificationException
{
}
