package dev.flowmatch.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@link ImageSize}: height first (diffusers' order), both sides checked and named. */
class ImageSizeTest {
    @Test
    void heightComesFirst() {
        ImageSize size = ImageSize.of(768, 1024);
        assertEquals(768, size.height());
        assertEquals(1024, size.width());
        assertEquals(768L * 1024, size.pixels());
        assertEquals("height 768 x width 1024", size.toString());
        assertEquals(new ImageSize(512, 512), ImageSize.square(512));
    }

    @Test
    void badSidesNameTheSideAndValue() {
        assertEquals("height: 0 pixels must be > 0",
                assertThrows(IllegalArgumentException.class, () -> ImageSize.of(0, 64)).getMessage());
        assertEquals("width: -16 pixels must be > 0",
                assertThrows(IllegalArgumentException.class, () -> ImageSize.of(64, -16)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageSize.square(0));
    }
}
