"""Evidence bundles of the coffre: `GET /coffre/v1/actes/{id}/preuves`."""
