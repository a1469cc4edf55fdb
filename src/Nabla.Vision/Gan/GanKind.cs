namespace Nabla.Vision.Gan;

/// <summary>The GANs <see cref="GanTrainer"/> trains, by their command-line names.</summary>
public enum GanKind
{
    /// <summary><c>dcgan</c>: d2l 17.2's DCGAN with the binary cross-entropy game (Goodfellow et al., 2014, non-saturating generator loss).</summary>
    Dcgan,

    /// <summary><c>wgan-gp</c>: the DCGAN generator against a critic without batch norm, Wasserstein loss with gradient penalty (Gulrajani et al., 2017).</summary>
    WganGp,

    /// <summary><c>cgan</c>: the DCGAN with the class appended to the noise and to the image (Mirza and Osindero, 2014).</summary>
    Cgan,
}
