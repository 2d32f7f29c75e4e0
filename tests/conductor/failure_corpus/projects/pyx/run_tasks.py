import asyncio

from pyx.tasks import main

asyncio.run(main())
