"""RFC 3161 timestamps: the embedded TSA, its development PKI, clients and offline verification."""
