from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class AllocationConfig(AppConfig):
    name = "allocation"
    verbose_name = "选房与签约"

    def ready(self) -> None:
        from allocation import board, tasks
        from allocation.models import ChoosingPolicy, Session
        from messaging import schedule
        from rentcenter import pagecache

        pagecache.register_hole(board.BOARD)
        # The 公告 states the 选房规则; 选房结果 and the board list the sessions.
        for model in (ChoosingPolicy, Session):
            for signal in (post_save, post_delete):
                signal.connect(pagecache.catalogue_changed, sender=model, dispatch_uid="pagecache")
        schedule.every_sweep(tasks.settle_sessions)
