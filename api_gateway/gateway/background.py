"""One long-running task per process (the revocation subscriber, the socket
watch): started inside the serving event loop, cancelled and awaited at
shutdown."""

from __future__ import annotations

import asyncio


class BackgroundTask:
    task_name = "background"

    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self.task_name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        raise NotImplementedError
