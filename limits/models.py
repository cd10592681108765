from datetime import timedelta

from django.db import models

# Every allowance is so many an hour, refilled evenly over the hour.
REFILL_TIME = timedelta(hours=1)


class BucketQuerySet(models.QuerySet):
    def full(self, now):
        """Buckets left alone for a whole refill time: full again, so the same as no row."""
        return self.filter(updated_at__lte=now - REFILL_TIME)


class Bucket(models.Model):
    """What is left of one hourly allowance for one address or account (a token bucket).

    A bucket starts full, each use takes one token, and tokens come back evenly over the
    hour, so bursts up to the allowance pass and a steady stream gets no more than it.
    """

    key = models.CharField(max_length=100, unique=True)
    tokens = models.FloatField()
    updated_at = models.DateTimeField(db_index=True)

    objects = BucketQuerySet.as_manager()

    def __str__(self):
        return self.key

    def refill(self, per_hour, now):
        earned = (now - self.updated_at) / REFILL_TIME * per_hour
        self.tokens = min(per_hour, self.tokens + earned)
        self.updated_at = now
