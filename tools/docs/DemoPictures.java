import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Draws the README's inputs for {@code flowmatch sample --image / --mask}: a 1024x1024 landscape
 * ({@code docs/input-landscape.png}) and an inpainting mask of the same size ({@code docs/input-mask.png}: a white
 * band across the middle, where the model paints). Run from the repository root with JDK 25:
 * {@code java tools/docs/DemoPictures.java docs}.
 */
public class DemoPictures {
    public static void main(String[] args) throws IOException {
        File dir = new File(args.length > 0 ? args[0] : "docs");
        int size = 1024;

        BufferedImage landscape = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = landscape.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setPaint(new GradientPaint(0, 0, new Color(70, 140, 230), 0, 640, new Color(200, 225, 250)));
        g.fillRect(0, 0, size, size);
        g.setColor(new Color(255, 190, 40));
        g.fillOval(700, 110, 200, 200);
        g.setColor(new Color(60, 150, 70));
        Path2D hills = new Path2D.Double();
        hills.moveTo(0, 700);
        hills.curveTo(250, 560, 450, 620, 600, 690);
        hills.curveTo(750, 760, 900, 600, 1024, 650);
        hills.lineTo(1024, 1024);
        hills.lineTo(0, 1024);
        hills.closePath();
        g.fill(hills);
        g.setColor(new Color(35, 110, 50));
        g.fillRect(0, 860, size, 164);
        g.setColor(new Color(180, 50, 40));
        g.fillRect(170, 640, 180, 140);
        g.setColor(new Color(110, 30, 30));
        g.fillPolygon(new int[] {150, 260, 370}, new int[] {640, 550, 640}, 3);
        g.setColor(Color.WHITE);
        g.setStroke(new BasicStroke(10));
        g.drawLine(420, 250, 470, 230);
        g.drawLine(470, 230, 520, 250);
        g.dispose();
        ImageIO.write(landscape, "png", new File(dir, "input-landscape.png"));

        BufferedImage mask = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D m = mask.createGraphics();
        m.setColor(Color.BLACK);
        m.fillRect(0, 0, size, size);
        m.setColor(Color.WHITE);
        m.fillRoundRect(96, 336, 832, 288, 120, 120);
        m.dispose();
        ImageIO.write(mask, "png", new File(dir, "input-mask.png"));
    }
}
