"""Group commit of consultations: the requests of a moment are looked up, logged and committed together.

A consultation must be answered only once its access-log row and its registry log leaf are durably
committed (a crash never loses a consultation that was answered). Committing each one in its own
transaction costs a session, a transaction, a commit (an fsync) and a log integration per request.
Here, each request hands its consultation (`Demande`) to this process's `Lots` and awaits its
verdict; a batch task takes every consultation waiting, and in one transaction reads the rule's
facts of all their identities (one query), evaluates each at its own instant `a`, inserts all the
access-log rows (one statement), queues all their leaves in the registry log's queue (one statement,
each leaf naming its row), commits (one fsync), then answers every request of the batch. The leaves
are durable once the batch has committed; this process's integration loop gives them their indexes
afterwards, without the answers waiting, and the batch never takes the log's head row (where a
purge integrates its leaves: bench/purge).
At most `en_vol` batches run at once per process: consultations arriving meanwhile wait for the
next one, so batches grow with the load (group commit) and stay of one under light load.

A batch that fails is retried consultation by consultation (one bad row never fails the others);
a consultation whose own transaction fails answers 503 `indisponible`, never un-logged. A request
cancelled while it waits (client gone) does not cancel its batch: the consultation stays logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from services.consent.consultations import service
from services.consent.consultations.evaluation import Verdict
from services.consent.registre import Registre
from shared.db import Database
from shared.errors import ServiceIndisponible

logger = logging.getLogger("signif.consent.consultations")

#: Consultations per batch at most (one multi-row insert, one `IN`/`ANY` lookup).
TAILLE_MAX = 256
#: Batches in flight per process. One: consultations gather while it commits. Two made smaller
#: batches that cost more (bench/consultations, 2 processes: ~1,150 vs ~1,650 req/s, measured when
#: the batches still appended their leaves under the log's head row).
EN_VOL = 1


class ConsultationNonJournalisee(ServiceIndisponible):
    """The consultation could not be logged: no answer is given (legal: never answer un-logged)."""


_Attente = tuple[service.Demande, asyncio.Future[Verdict]]


class Lots:
    """This process's consultations waiting for a batch, and the batches in flight."""

    def __init__(
        self, db: Database, registre: Registre, *, en_vol: int = EN_VOL, taille_max: int = TAILLE_MAX
    ) -> None:
        if en_vol < 1 or taille_max < 1:
            raise ValueError(f"expected en_vol >= 1 and taille_max >= 1, got {en_vol} and {taille_max}")
        self.db = db
        self.registre = registre
        self.en_vol = en_vol
        self.taille_max = taille_max
        self._attente: list[_Attente] = []
        self._lots: set[asyncio.Task[None]] = set()
        #: Transactions attempted (batches, and retries one by one after a failed batch).
        self.transactions = 0

    async def consulter(self, demande: service.Demande) -> Verdict:
        """Evaluate, log and commit `demande` (in a batch); its verdict once committed."""
        futur: asyncio.Future[Verdict] = asyncio.get_running_loop().create_future()
        self._attente.append((demande, futur))
        self._lancer()
        return await futur

    def _lancer(self) -> None:
        while self._attente and len(self._lots) < self.en_vol:
            lot = self._attente[: self.taille_max]
            del self._attente[: self.taille_max]
            tache = asyncio.get_running_loop().create_task(self._traiter(lot))
            self._lots.add(tache)
            tache.add_done_callback(self._fini)

    def _fini(self, tache: asyncio.Task[None]) -> None:
        self._lots.discard(tache)
        if not tache.get_loop().is_closed():
            self._lancer()

    async def _traiter(self, lot: list[_Attente]) -> None:
        try:
            verdicts = await self._ecrire([demande for demande, _ in lot])
        except asyncio.CancelledError:
            _echec(lot)
            raise
        except Exception:
            if len(lot) > 1:
                logger.warning("consultation batch failed, retried one by one", exc_info=True)
                for attente in lot:
                    await self._traiter([attente])
                return
            logger.exception("consultation not logged: answered 503")
            _echec(lot)
            return
        for (_, futur), verdict in zip(lot, verdicts, strict=True):
            if not futur.done():
                futur.set_result(verdict)

    async def _ecrire(self, demandes: Sequence[service.Demande]) -> list[Verdict]:
        self.transactions += 1
        async with self.db.transaction() as session:
            verdicts = await service.par_identites(session, demandes)
            await service.journaliser_lot(session, self.registre, demandes, verdicts)
        return verdicts


def _echec(lot: Sequence[_Attente]) -> None:
    for _, futur in lot:
        if not futur.done():
            futur.set_exception(
                ConsultationNonJournalisee(
                    "La consultation n'a pas pu être journalisée : aucune réponse n'est donnée,"
                    " réessayez dans un instant."
                )
            )
